"""The "open app" task as an android_env `Task` proto, for the simulator and real emulators.

Reset steps: press HOME, force-stop the apps the goals may name (so that each episode starts on
the home screen and every app opens on its start screen), and send the layout-shuffle
broadcast (the launcher simulator draws a fresh layout; a real phone ignores it). android_env
waits 0.5 s after each reset step (its pacing for real devices), so a reset costs 0.5 s per
step: the simulator's task closes no apps (its HOME and shuffle already leave none open).

The step limit is the task's `max_episode_steps`, counted by android_env in its own steps
(one agent action is one to three of them: a tap is a touch and a lift). The reward comes
from the bridge (CLIP), so the task parses no logcat.
"""

from android_env.proto import adb_pb2, task_pb2
from google.protobuf import text_format

from envs.android import simulator
from envs.launcher import apps


def app_packages(task: str = "common") -> list[str]:
  """The Android packages of a launcher task's goal apps ("common" or "diverse")."""
  return sorted({apps.APPS[i].activity.split("/")[0] for i in apps.TASKS[task]})


def open_app_task(max_episode_steps: int = 0, packages=()) -> task_pb2.Task:
  """The task proto. `packages`: the apps to force-stop on reset."""
  request = adb_pb2.AdbRequest
  home = request(press_button=request.PressButton(button=request.PressButton.HOME))
  steps = [task_pb2.SetupStep(adb_request=home)]
  steps += [
    task_pb2.SetupStep(adb_request=request(force_stop=request.ForceStop(package_name=p)))
    for p in packages
  ]
  shuffle = request(send_broadcast=request.SendBroadcast(action=simulator.SHUFFLE_ACTION))
  steps.append(task_pb2.SetupStep(adb_request=shuffle))
  return task_pb2.Task(
    id="open_app",
    name="Open app",
    description="Open the app named by the goal, starting from the home screen.",
    reset_steps=steps,
    max_episode_steps=max_episode_steps,
  )


def write_task(path: str, max_episode_steps: int = 0, packages=()) -> str:
  """Writes the task as a textproto (what `android_env.loader.load` reads); returns `path`."""
  with open(path, "w") as f:
    f.write(text_format.MessageToString(open_app_task(max_episode_steps, packages)))
  return path
