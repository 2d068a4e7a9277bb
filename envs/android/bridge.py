"""`OpenAppEnv`: "Open <app>" goals with CLIP rewards on any android_env environment.

  env = bridge.load_launcher_env()                      # android_env + our launcher simulator
  env = emulator.load_emulator_env(EmulatorSettings(avd_name="Pixel_6_API_34"))  # an emulator
  task = bridge.OpenAppEnv(env, reward_model, max_steps=32, seed=0)
  timestep = task.reset(); timestep = task.step(action)  # a dm_env.Environment

Per episode `OpenAppEnv` draws a goal among the reward model's goals (app names of
`envs/launcher/apps.py`) and resets the android_env environment (its task's reset command goes
HOME and closes the goal apps; or, with `snapshot`, the emulator loads that snapshot first).
Actions are the JAX launcher's 30 (`envs.launcher.env`), in the shape of android_env's discrete
action wrapper: a tap at the centre of each cell of a 6 x 4 grid (android_env TOUCH then LIFT
there), four swipes (TOUCH where the finger starts, TOUCH where it ends, LIFT), and HOME and
BACK (android_env's `press_button` adb request, then a REPEAT step for the new screenshot).
android_env's `DiscreteActionWrapper` covers only the taps (it has no swipes or keys, and adds
noise to positions), so the mapping is ours; the android_env actions it sends are the
package's own.

Geometry comes from the device (`geometry.py`): each screenshot is fitted into the launcher's
120 x 64 frame with its aspect kept (black bars where a phone is taller than the frame, no
squashing), and the tap grid is the frame's, mapped back to the screen through the same fit
(or a `tap_region` of the screen, e.g. a launcher's icon area). The new frame is scored by the
reward model's own `reward_fn` (the trainer's reward); the episode ends when the reward fires
(termination, reward 1), at `max_steps` actions, or when android_env ends it (truncation). The
episode rules are `envs.wrappers.dm_env_step`, the trainer's `episode_step`. Ground truth
(`success_of`: the foreground app's package is the goal app's, read with android_env's
`get_current_activity` adb request, so a splash screen, an alias or an onboarding activity of
the app counts; `match="activity"` asks for the exact activity) is measured into
`last_success` and the episode statistics, and never enters the observation or the reward.
"""

import dm_env
import jax
import jax.numpy as jnp
import numpy as np
from android_env import environment
from android_env.components import action_type, config_classes, coordinator, device_settings
from android_env.components import task_manager as task_manager_lib
from android_env.proto import adb_pb2, state_pb2
from dm_env import specs

from envs import wrappers
from envs.android import geometry
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


MATCHES = ("package", "activity")


def full_activity(activity: str) -> str:
  """ "pkg/.Main" -> "pkg/pkg.Main": the two ways Android writes one activity, made one."""
  package, _, name = activity.partition("/")
  return f"{package}/{package}{name}" if name.startswith(".") else activity


def success_of(foreground: str, goal_activity: str, match: str = "package") -> bool:
  """Ground truth: the foreground activity (adb's "package/activity") is the goal app's:
  any activity of its package (`match="package"`), or exactly its activity ("activity")."""
  if match == "package":
    return bool(foreground) and foreground.split("/")[0] == goal_activity.split("/")[0]
  return full_activity(foreground) == full_activity(goal_activity)


def resize_frame(pixels: np.ndarray, shape=(layout.H, layout.W)) -> np.ndarray:
  """uint8 [H, W, 3] screenshot -> uint8 [*shape, 3] agent frame, aspect kept
  (`geometry.fit_frame`)."""
  return geometry.fit_frame(pixels, tuple(shape))


class OpenAppEnv(dm_env.Environment):
  """Goal-conditioned "open app" episodes with CLIP rewards (see the module docstring).

  Observation: {"pixels": uint8[120, 64, 3], "goal": int32 goal id}. After each step,
  `last_success` (ground truth, measured) and `last_probability` (Eq. 1) describe it, and
  `episode` (`envs.wrappers.EpisodeStats`, batch 1) holds the episode so far.
  """

  num_actions = launcher_env.Launcher.num_actions
  action_names = launcher_env.ACTION_NAMES

  def __init__(
    self,
    env,
    reward_model,
    *,
    max_steps: int = 32,
    seed: int = 0,
    match: str = "package",
    snapshot: str = "",
    tap_region=None,
  ):
    """`match`: ground truth by the goal app's package or its exact activity (`success_of`);
    `snapshot`: an emulator snapshot loaded at every reset ("" for none); `tap_region`: the
    tap grid over (top, left, bottom, right) fractions of the screen instead of the frame's
    cells (`geometry.tap_targets`)."""
    if match not in MATCHES:
      raise ValueError(f"match must be one of {MATCHES}, got {match!r}.")
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
    self.match, self.snapshot, self.tap_region = match, snapshot, tap_region
    self._box = self._taps = None  # the screen's fit in the frame, known from a screenshot
    self._goal, self._steps, self._frame = 0, 0, None
    self.last_success, self.last_probability = False, 0.0
    self.episode = wrappers.initial_stats(1)

  # ------------------------------------------------------------------ host-actor interface

  def begin(self) -> tuple[np.ndarray, int, bool]:
    """Starts an episode: draws a goal, resets android_env; -> (frame, goal id, success)."""
    self._goal = int(self._rng.integers(len(self.goals)))
    self._steps, self.episode = 0, wrappers.initial_stats(1)
    if self.snapshot:
      self.load_snapshot(self.snapshot)
    self._frame = self._observe(self._env.reset().observation["pixels"])
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
    self._frame = self._observe(timestep.observation["pixels"])
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

  @property
  def screen(self) -> geometry.Letterbox | None:
    """How the device's screen sits in the frame (known after the first screenshot)."""
    return self._box

  def foreground(self) -> str:
    """The foreground activity, "package/activity" (android_env's adb request)."""
    request = adb_pb2.AdbRequest(get_current_activity=adb_pb2.AdbRequest.GetCurrentActivity())
    return self._env.execute_adb_call(request).get_current_activity.full_activity

  def ground_truth(self) -> bool:
    """Whether the foreground app is the goal's (`success_of`, by `match`)."""
    return success_of(self.foreground(), self._activities[self._goal], self.match)

  def load_snapshot(self, name: str) -> None:
    """Loads an emulator snapshot (android_env's `load_state`).

    Raises:
      RuntimeError: the emulator could not load it (the message says why).
    """
    request = state_pb2.LoadStateRequest(args={"snapshot_name": name})
    response = self._env.load_state(request)
    if response.status != state_pb2.LoadStateResponse.Status.OK:
      raise RuntimeError(
        f"The emulator did not load snapshot {name!r} ({response.error_message or 'not found'}). "
        "Save it first (emulator -avd NAME, then `adb emu avd snapshot save NAME`), or set "
        "snapshot='' to reset by force-stopping the goal apps."
      )

  def _observe(self, pixels: np.ndarray) -> np.ndarray:
    """The agent's frame of a screenshot; the tap targets follow the screen's size."""
    box = geometry.letterbox(pixels.shape[:2], (layout.H, layout.W))
    if box != self._box:
      self._box = box
      self._taps = geometry.tap_targets(box, layout.ROWS, layout.COLS, self.tap_region)
    return geometry.fit_frame(pixels, (layout.H, layout.W))

  def _observation(self) -> dict:
    return {"pixels": self._frame, "goal": np.int32(self._goal)}

  def _touch(self, kind, x: float, y: float) -> dm_env.TimeStep:
    return self._env.step({"action_type": kind, "touch_position": np.array([x, y], np.float32)})

  def _apply(self, action: int) -> dm_env.TimeStep:
    """Sends one launcher action as android_env actions; returns the last timestep."""
    if action < layout.ROWS * layout.COLS:
      x, y = self._taps[action]
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
