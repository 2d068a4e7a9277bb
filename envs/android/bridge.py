"""`OpenAppEnv`: "Open <app>" goals with CLIP rewards on any android_env environment.

  env = bridge.load_launcher_env()                      # android_env + our launcher simulator
  env = bridge.load_emulator_env("Pixel_6_API_34")      # android_env + a real emulator
  task = bridge.OpenAppEnv(env, reward_model, max_steps=32, seed=0)
  timestep = task.reset(); timestep = task.step(action)  # a dm_env.Environment

Per episode `OpenAppEnv` draws a goal among the reward model's goals (app names of
`envs/launcher/apps.py`) and resets the android_env environment (its task's reset steps go
HOME and close the apps). Actions are the JAX launcher's 30 (`envs.launcher.env`), in the
shape of android_env's discrete action wrapper: a tap at the centre of each cell of a 6 x 4
grid (android_env TOUCH then LIFT there), four swipes (TOUCH where the finger starts, TOUCH
where it ends, LIFT), and HOME and BACK (android_env's `press_button` adb request, then a
REPEAT step for the new screenshot). android_env's `DiscreteActionWrapper` covers only the
taps (it has no swipes or keys, and adds noise to positions), so the mapping is ours; the
android_env actions it sends are the package's own.

After each action the new screenshot is resized to the launcher's 120 x 64 frame (block
average when the screen is an integer multiple, as the launcher simulator's is; otherwise a
linear resize) and scored by the reward model's own `reward_fn` (the trainer's reward); the
episode ends when the reward fires (termination, reward 1), at `max_steps` actions, or when
android_env ends it (truncation). The episode rules are `envs.wrappers.dm_env_step`, the
trainer's `episode_step`. Ground truth (the foreground activity is the goal app's, read with
android_env's `get_current_activity` adb request) is measured into `last_success` and the
episode statistics, and never enters the observation or the reward.
"""

import functools
import os
import pathlib
import tempfile

import dm_env
import jax
import jax.numpy as jnp
import numpy as np
from android_env import environment, loader
from android_env.components import action_type, config_classes, coordinator, device_settings
from android_env.components import task_manager as task_manager_lib
from android_env.proto import adb_pb2
from dm_env import specs

from envs import wrappers
from envs.android import simulator as simulator_lib
from envs.android import task as task_lib
from envs.launcher import apps, layout
from envs.launcher import env as launcher_env

_TOUCH, _LIFT, _REPEAT = (
  np.array(t, np.int32)
  for t in (
    action_type.ActionType.TOUCH,
    action_type.ActionType.LIFT,
    action_type.ActionType.REPEAT,
  )
)
_SWIPES = {  # the finger's start and end, (x, y) in [0, 1]
  launcher_env.SWIPE_LEFT: ((0.75, 0.5), (0.25, 0.5)),
  launcher_env.SWIPE_RIGHT: ((0.25, 0.5), (0.75, 0.5)),
  launcher_env.SWIPE_UP: ((0.5, 0.75), (0.5, 0.25)),
  launcher_env.SWIPE_DOWN: ((0.5, 0.25), (0.5, 0.75)),
}
_BUTTONS = {
  launcher_env.HOME: adb_pb2.AdbRequest.PressButton.HOME,
  launcher_env.BACK: adb_pb2.AdbRequest.PressButton.BACK,
}


def load_launcher_env(
  config: simulator_lib.LauncherSimulatorConfig | None = None, max_episode_steps: int = 0
) -> environment.AndroidEnv:
  """android_env's own `AndroidEnv` on the launcher simulator, wired as `loader.load` wires
  its built-in simulators (coordinator, task manager, device settings)."""
  simulator = simulator_lib.LauncherSimulator(config or simulator_lib.LauncherSimulatorConfig())
  manager = task_manager_lib.TaskManager(
    task_lib.open_app_task(max_episode_steps),
    config=config_classes.TaskManagerConfig(dumpsys_check_frequency=0),  # no app screen to hold
  )
  settings = config_classes.DeviceSettingsConfig(show_touches=False, show_pointer_location=False)
  coord = coordinator.Coordinator(
    simulator,
    manager,
    device_settings=device_settings.DeviceSettings(simulator),
    config=config_classes.CoordinatorConfig(device_settings=settings),
  )
  return environment.AndroidEnv(simulator=simulator, coordinator=coord, task_manager=manager)


def load_emulator_env(
  avd_name: str,
  *,
  sdk_root: str = "~/Android/Sdk",
  avd_home: str = "~/.android/avd",
  emulator_path: str | None = None,
  adb_path: str | None = None,
  max_episode_steps: int = 0,
  task: str = "common",
  run_headless: bool = True,
) -> environment.AndroidEnv:
  """android_env on a real Android emulator (an AVD), with the "open app" task; its reset
  steps close the apps of the launcher task `task` ("common" or "diverse").

  Raises:
    FileNotFoundError: the emulator binary, adb or the AVD is missing (the message says which
      and how to get it) -- checked before android_env starts anything.
  """
  sdk = pathlib.Path(os.path.expanduser(sdk_root))
  emulator = pathlib.Path(os.path.expanduser(emulator_path or sdk / "emulator" / "emulator"))
  adb = pathlib.Path(os.path.expanduser(adb_path or sdk / "platform-tools" / "adb"))
  avds = pathlib.Path(os.path.expanduser(avd_home))
  missing = []
  if not emulator.is_file():
    missing.append(f"the emulator binary {emulator} (sdkmanager 'emulator')")
  if not adb.is_file():
    missing.append(f"adb {adb} (sdkmanager 'platform-tools')")
  if not (avds / f"{avd_name}.ini").is_file():
    missing.append(f"the AVD {avd_name!r} ({avds / (avd_name + '.ini')}; avdmanager create avd)")
  if missing:
    raise FileNotFoundError(
      "Cannot start an Android emulator: missing " + "; ".join(missing) + ". Install the "
      "Android SDK command-line tools, or pass sdk_root / emulator_path / adb_path / avd_home "
      "(README, 'AndroidEnv bridge'). Without an emulator, use load_launcher_env()."
    )
  task_path = tempfile.NamedTemporaryFile("w", suffix=".textproto", delete=False).name
  task_lib.write_task(task_path, max_episode_steps, task_lib.app_packages(task))
  return loader.load(
    config_classes.AndroidEnvConfig(
      task=config_classes.FilesystemTaskConfig(path=task_path),
      simulator=config_classes.EmulatorConfig(
        emulator_launcher=config_classes.EmulatorLauncherConfig(
          emulator_path=str(emulator),
          android_sdk_root=str(sdk),
          avd_name=avd_name,
          android_avd_home=str(avds),
          run_headless=run_headless,
        ),
        adb_controller=config_classes.AdbControllerConfig(adb_path=str(adb)),
      ),
    )
  )


@functools.partial(jax.jit, static_argnums=1)
def _resize(pixels: jax.Array, shape: tuple[int, int]) -> jax.Array:
  h, w = pixels.shape[:2]
  x = pixels.astype(jnp.float32)
  if h % shape[0] == 0 and w % shape[1] == 0:  # block mean: exact for integer upscaling
    x = x.reshape(shape[0], h // shape[0], shape[1], w // shape[1], 3).mean(axis=(1, 3))
  else:
    x = jax.image.resize(x, (*shape, 3), "linear")
  return jnp.clip(jnp.round(x), 0, 255).astype(jnp.uint8)


def resize_frame(pixels: np.ndarray, shape=(layout.H, layout.W)) -> np.ndarray:
  """uint8 [H, W, 3] screenshot -> uint8 [*shape, 3] agent frame."""
  if pixels.shape[:2] == tuple(shape):
    return pixels
  return np.asarray(_resize(pixels, tuple(shape)))


class OpenAppEnv(dm_env.Environment):
  """Goal-conditioned "open app" episodes with CLIP rewards (see the module docstring).

  Observation: {"pixels": uint8[120, 64, 3], "goal": int32 goal id}. After each step,
  `last_success` (ground truth, measured) and `last_probability` (Eq. 1) describe it, and
  `episode` (`envs.wrappers.EpisodeStats`, batch 1) holds the episode so far.
  """

  num_actions = launcher_env.Launcher.num_actions
  action_names = launcher_env.ACTION_NAMES

  def __init__(self, env, reward_model, *, max_steps: int = 32, seed: int = 0):
    names = {app.name: i for i, app in enumerate(apps.APPS)}
    unknown = [g for g in reward_model.goals if g not in names]
    if unknown:
      raise ValueError(
        f"Goals {unknown} are not apps of envs/launcher/apps.py; OpenAppEnv needs app names "
        "as goals, to read ground truth from the foreground activity."
      )
    if max_steps < 1:
      raise ValueError(f"max_steps must be >= 1, got {max_steps}.")
    self._env, self._model, self.max_steps = env, reward_model, max_steps
    self.goals = reward_model.goals
    self._activities = [apps.APPS[names[g]].activity for g in self.goals]
    self._params = reward_model.params
    self._reward_fn = jax.jit(reward_model.reward_fn)
    self._rng = np.random.default_rng(seed)
    self._goal, self._steps, self._frame = 0, 0, None
    self.last_success, self.last_probability = False, 0.0
    self.episode = wrappers.initial_stats(1)

  # ------------------------------------------------------------------ host-actor interface

  def begin(self) -> tuple[np.ndarray, int, bool]:
    """Starts an episode: draws a goal, resets android_env; -> (frame, goal id, success)."""
    self._goal = int(self._rng.integers(len(self.goals)))
    self._steps, self.episode = 0, wrappers.initial_stats(1)
    self._frame = resize_frame(self._env.reset().observation["pixels"])
    self.last_success, self.last_probability = self.ground_truth(), 0.0
    return self._frame, self._goal, self.last_success

  def act(self, action) -> tuple[np.ndarray, bool, bool]:
    """One action, no reward: -> (new frame, success, the episode's limit is reached or
    android_env ended it). A Sebulba actor scores the frames of all its environments at once."""
    action = int(action)
    if not 0 <= action < self.num_actions:
      raise ValueError(f"action must be in [0, {self.num_actions}), got {action}.")
    timestep = self._apply(action)
    self._steps += 1
    self._frame = resize_frame(timestep.observation["pixels"])
    self.last_success = self.ground_truth()
    return self._frame, self.last_success, self._steps >= self.max_steps or timestep.last()

  # ------------------------------------------------------------------ dm_env interface

  def reset(self) -> dm_env.TimeStep:
    self.begin()
    return dm_env.restart(self._observation())

  def step(self, action) -> dm_env.TimeStep:
    frame, success, ended = self.act(action)
    reward, probability = self._reward_fn(
      self._params, frame[None], jnp.asarray([self._goal], jnp.int32)
    )
    reward, self.last_probability = float(reward[0]), float(probability[0])
    self.episode, timestep = wrappers.dm_env_step(
      self.episode, self._observation(), reward, reward > 0, ended, success
    )
    return timestep

  def observation_spec(self):
    return {
      "pixels": specs.Array((layout.H, layout.W, 3), np.uint8, "pixels"),
      "goal": specs.DiscreteArray(len(self.goals), np.int32, name="goal"),
    }

  def action_spec(self):
    return specs.DiscreteArray(self.num_actions, np.int32, name="action")

  def close(self) -> None:
    self._env.close()

  # ------------------------------------------------------------------ helpers

  @property
  def goal(self) -> int:
    return self._goal

  def ground_truth(self) -> bool:
    """Whether the foreground activity is the goal app's (android_env adb request)."""
    request = adb_pb2.AdbRequest(get_current_activity=adb_pb2.AdbRequest.GetCurrentActivity())
    response = self._env.execute_adb_call(request)
    return response.get_current_activity.full_activity == self._activities[self._goal]

  def _observation(self) -> dict:
    return {"pixels": self._frame, "goal": np.int32(self._goal)}

  def _touch(self, kind, x: float, y: float) -> dm_env.TimeStep:
    return self._env.step({"action_type": kind, "touch_position": np.array([x, y], np.float32)})

  def _apply(self, action: int) -> dm_env.TimeStep:
    """Sends one launcher action as android_env actions; returns the last timestep."""
    if action < layout.ROWS * layout.COLS:
      row, col = divmod(action, layout.COLS)
      x, y = (col + 0.5) / layout.COLS, (row + 0.5) / layout.ROWS
      steps = [(_TOUCH, x, y), (_LIFT, x, y)]
    elif action in _SWIPES:
      (x0, y0), (x1, y1) = _SWIPES[action]
      steps = [(_TOUCH, x0, y0), (_TOUCH, x1, y1), (_LIFT, x1, y1)]
    else:
      button = adb_pb2.AdbRequest.PressButton(button=_BUTTONS[action])
      self._env.execute_adb_call(adb_pb2.AdbRequest(press_button=button))
      steps = [(_REPEAT, 0.5, 0.5)]
    for kind, x, y in steps:
      timestep = self._touch(kind, x, y)
      if timestep.last():
        break
    return timestep
