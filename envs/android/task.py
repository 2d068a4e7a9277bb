"""The "open app" task as an android_env `Task` proto, for the simulator and real emulators.

The reset is one adb shell command (`reset_command`): press HOME, force-stop the goal apps
(so that each episode starts on the home screen and every app opens on its start screen),
and send the layout-shuffle broadcast (the launcher simulator draws a fresh layout; a real
phone has no receiver for it and ignores it). android_env waits 0.5 s after each reset step
(its pacing for real devices), so one step instead of one per app keeps a reset at 0.5 s
whatever the number of goal apps. An emulator that loads a snapshot at each reset
(`emulator.EmulatorSettings.snapshot`) needs no reset step at all: `open_app_task` is then
given no packages and `reset=False`.

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


def reset_command(packages=()) -> list[str]:
  """adb arguments of the reset: HOME, `am force-stop` of each package, the shuffle broadcast,
  as one device shell command (`;` separates them on the device)."""
  args = ["shell", "input", "keyevent", "KEYCODE_HOME"]
  for package in packages:
    args += [";", "am", "force-stop", package]
  return args + [";", "am", "broadcast", "-a", simulator.SHUFFLE_ACTION]


def open_app_task(max_episode_steps: int = 0, packages=(), reset: bool = True) -> task_pb2.Task:
  """The task proto. `packages`: the apps to force-stop on reset; `reset=False`: no reset
  step (a snapshot is loaded instead)."""
  request = adb_pb2.AdbRequest
  generic = request(generic=request.GenericRequest(args=reset_command(packages)))
  return task_pb2.Task(
    id="open_app",
    name="Open app",
    description="Open the app named by the goal, starting from the home screen.",
    reset_steps=[task_pb2.SetupStep(adb_request=generic)] if reset else [],
    max_episode_steps=max_episode_steps,
  )


def write_task(path: str, max_episode_steps: int = 0, packages=(), reset: bool = True) -> str:
  """Writes the task as a textproto (what `android_env.loader.load` reads); returns `path`."""
  with open(path, "w") as f:
    f.write(text_format.MessageToString(open_app_task(max_episode_steps, packages, reset)))
  return path
