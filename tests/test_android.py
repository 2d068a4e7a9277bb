"""The AndroidEnv bridge, driven through the real `android_env` package (its Coordinator,
TaskManager, adb call parser and AndroidEnv) with our launcher simulator behind it."""

import jax
import numpy as np
import pytest
from android_env.proto import adb_pb2

from envs.android import bridge, emulator, simulator, task
from envs.launcher import apps
from envs.launcher import env as launcher_env
from envs.launcher import oracle as launcher_oracle
from experiments import registry
from experiments.configs import android_common
from vlm_rewards.reward_model import RewardModel

COMMON = [apps.APPS[i].name for i in apps.TASKS["common"]]


@pytest.fixture(scope="module")
def android():
  """(android_env AndroidEnv on the launcher simulator, OpenAppEnv on it with the config's
  reward: bundled phone CLIP, template D, other screens as extra negatives)."""
  env = bridge.load_launcher_env(simulator.LauncherSimulatorConfig(scale=2, seed=3))
  model = registry.reward_model(android_common.get_config(), COMMON)
  yield env, bridge.OpenAppEnv(env, model, max_steps=6, seed=0)
  env.close()


def activity(env) -> str:
  request = adb_pb2.AdbRequest(get_current_activity=adb_pb2.AdbRequest.GetCurrentActivity())
  return env.execute_adb_call(request).get_current_activity.full_activity


def test_reset_lands_on_the_home_screen_drawn_by_the_jax_launcher(android):
  env, task_env = android
  timestep = task_env.reset()
  assert timestep.first() and activity(env) == simulator.LAUNCHER_ACTIVITY
  sim = env._simulator
  assert not bool(sim.state.drawer_open) and int(sim.state.app) == launcher_env.NO_APP
  # The agent's frame is the JAX launcher's own rendering of the simulator's state.
  expected = np.asarray(launcher_env.Launcher().render(sim.state))
  np.testing.assert_array_equal(timestep.observation["pixels"], expected)
  assert timestep.observation["pixels"].shape == (120, 64, 3)
  # Each reset draws a fresh layout (the task's shuffle broadcast).
  before = np.asarray(sim.state.home)
  task_env.reset()
  assert not np.array_equal(before, np.asarray(sim.state.home))


def test_oracle_taps_and_swipes_open_the_goal_app_and_the_clip_reward_ends_the_episode(android):
  env, task_env = android
  sim = env._simulator
  oracle = jax.jit(launcher_oracle.make_oracle(sim.launcher))
  opened = 0
  for _ in range(3):
    timestep = task_env.reset()
    app = apps.TASKS["common"][task_env.goal]
    goal_id = int(np.flatnonzero(sim.launcher.goal_apps == app)[0])
    while not timestep.last():
      action = int(oracle(None, sim.state, goal_id))
      timestep = task_env.step(action)
    # Ground truth from android_env's adb current-activity request; the reward from CLIP.
    assert task_env.last_success and activity(env) == apps.APPS[app].activity
    assert timestep.reward == 1.0 and timestep.discount == 0.0  # termination on reward
    assert task_env.last_probability >= 0.7
    opened += 1
  assert opened == 3


def test_a_tap_on_a_wrong_icon_opens_that_app_without_reward_and_the_limit_truncates(android):
  env, task_env = android
  sim = env._simulator
  task_env.reset()
  goal_app = apps.TASKS["common"][task_env.goal]
  cells = np.asarray(sim.launcher.screen_cells(sim.state))
  row, col = next(
    (r, c)
    for r in range(1, 6)
    for c in range(4)
    if cells[r, c] not in (launcher_env.EMPTY, goal_app)
  )
  timestep = task_env.step(row * 4 + col)
  assert activity(env) == apps.APPS[cells[row, col]].activity
  assert timestep.mid() and timestep.reward == 0.0 and not task_env.last_success
  timestep = task_env.step(launcher_env.BACK)
  assert activity(env) == simulator.LAUNCHER_ACTIVITY
  for _ in range(3):  # swipe down on a home page does nothing
    timestep = task_env.step(launcher_env.SWIPE_DOWN)
  assert timestep.mid()
  timestep = task_env.step(launcher_env.SWIPE_DOWN)  # the 6th action: the step limit
  assert timestep.last() and timestep.discount == 1.0 and timestep.reward == 0.0


def test_adb_requests_start_and_stop_apps_by_their_real_package_names(android):
  env, task_env = android
  task_env.reset()
  gmail = next(a for a in apps.APPS if a.name == "Gmail")
  assert gmail.activity.startswith("com.google.android.gm/")
  start = adb_pb2.AdbRequest(
    start_activity=adb_pb2.AdbRequest.StartActivity(full_activity=gmail.activity)
  )
  assert env.execute_adb_call(start).status == adb_pb2.AdbResponse.Status.OK
  assert activity(env) == gmail.activity
  stop = adb_pb2.AdbRequest(
    force_stop=adb_pb2.AdbRequest.ForceStop(package_name="com.google.android.gm")
  )
  env.execute_adb_call(stop)
  assert activity(env) == simulator.LAUNCHER_ACTIVITY
  bad = adb_pb2.AdbRequest(
    start_activity=adb_pb2.AdbRequest.StartActivity(full_activity="no.such/.App")
  )
  assert env.execute_adb_call(bad).status != adb_pb2.AdbResponse.Status.OK
  # The reset is one shell command (android_env pauses 0.5 s after each reset step): HOME,
  # force-stop of each goal app, the layout shuffle.
  proto = task.open_app_task(10, task.app_packages("common"))
  assert proto.max_episode_steps == 10 and len(proto.reset_steps) == 1
  args = list(proto.reset_steps[0].adb_request.generic.args)
  assert args.count("force-stop") == len(COMMON) and args.count(";") == len(COMMON) + 1
  assert not task.open_app_task(10, reset=False).reset_steps  # a snapshot resets instead
  env.execute_adb_call(start)  # the command opens nothing and closes the open app
  reset = adb_pb2.AdbRequest(generic=adb_pb2.AdbRequest.GenericRequest(args=args))
  env.execute_adb_call(reset)
  assert activity(env) == simulator.LAUNCHER_ACTIVITY


def test_goals_must_be_apps_and_a_missing_emulator_is_a_clear_error(android, tmp_path):
  env, task_env = android
  with pytest.raises(ValueError, match=r"\[.a red ball.\] are not apps of envs/launcher/apps.py"):
    bridge.OpenAppEnv(env, RewardModel(task_env._model.clip, ["a red ball", "Gmail"]))
  settings = emulator.EmulatorSettings("Pixel_6", sdk_root=str(tmp_path), avd_home=str(tmp_path))
  with pytest.raises(FileNotFoundError, match="emulator binary .* adb .* the AVD 'Pixel_6'"):
    emulator.load_emulator_env(settings)
  with pytest.raises(ValueError, match="match must be one of"):
    bridge.OpenAppEnv(env, task_env._model, match="class")
