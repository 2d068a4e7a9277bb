"""An android_env simulator that draws the JAX launcher (`envs/launcher/`).

`LauncherSimulator` is an `android_env` `BaseSimulator`: android_env's own `Coordinator`,
`TaskManager` and `AndroidEnv` drive it exactly as they drive an emulator. It keeps one
`LauncherState` and uses the launcher's own jitted `step_state` and `render`, so the pixels,
the layouts and the rules are the JAX environment's. What it adds is the Android side:

* touches (`send_touch`): a finger that goes down and lifts near where it went down is a tap
  on that screen cell; one that moves further is a swipe in its direction of travel;
* adb (`LauncherAdb.execute_command`), the commands android_env's `AdbCallParser` sends for
  an "open app" task: `input keyevent KEYCODE_HOME | KEYCODE_BACK`, `am force-stop <package>`,
  `am start -n <package/activity>`, `am stack list` (the foreground activity, under each app's
  real package name from `envs/launcher/apps.py`, or the launcher's when no app is open),
  `dumpsys input` (orientation), `wm size` and `settings`, several in one shell command when
  `;` separates them (the task's reset sends one such command); anything else answers empty,
  like a quiet device. The broadcast `am broadcast -a <SHUFFLE_ACTION>` draws a fresh layout
  (home pages, dock, drawer order, wallpaper), which the task's reset command sends; a real
  phone has no receiver for it and ignores it.
"""

import dataclasses
import functools
import threading

import jax
import numpy as np
from android_env.components import adb_controller, config_classes, fake_log_stream
from android_env.components.simulators import base_simulator

from envs.launcher import apps, layout
from envs.launcher import env as launcher_env

LAUNCHER_ACTIVITY = "com.google.android.apps.nexuslauncher/.NexusLauncherActivity"
SHUFFLE_ACTION = "com.vlmrewards.launcher.SHUFFLE_LAYOUT"
PACKAGES = {app.activity.split("/")[0]: i for i, app in enumerate(apps.APPS)}
ACTIVITIES = {app.activity: i for i, app in enumerate(apps.APPS)}


@dataclasses.dataclass
class LauncherSimulatorConfig(config_classes.SimulatorConfig):
  """Settings of `LauncherSimulator` (android_env's `SimulatorConfig` plus the launcher's).

  Attributes:
    scale: integer upscaling of the 120 x 64 screen (4 gives 480 x 256 screenshots).
    num_pages, occupancy: the launcher's (`LauncherConfig`).
    pool: wallpaper pool of the layouts drawn: 0 training, 1 held-out wallpapers.
    seed: seed of the layout draws.
    swipe_fraction: a finger that travels more than this fraction of the screen's width (or
      height, for vertical moves) is a swipe; less is a tap.
  """

  scale: int = 4
  num_pages: int = 3
  occupancy: float = 0.6
  pool: int = 0
  seed: int = 0
  swipe_fraction: float = 0.15


@functools.lru_cache(maxsize=8)
def _launcher(scale: int, num_pages: int, occupancy: float):
  """The launcher and its jitted reset, step and render, shared by every simulator of these
  settings (an actor's environments compile them once)."""
  launcher = launcher_env.Launcher(
    launcher_env.LauncherConfig(
      task="diverse",  # every app may be the goal; the bridge picks goals
      num_pages=num_pages,
      occupancy=occupancy,
      max_steps=2**30,  # episodes are ended by android_env and the bridge
      scale=scale,
    )
  )
  reset = jax.jit(launcher.reset_state, static_argnums=1)
  return launcher, reset, jax.jit(launcher.step_state), jax.jit(launcher.render)


class LauncherSimulator(base_simulator.BaseSimulator):
  """The JAX launcher behind android_env's simulator interface (see the module docstring)."""

  def __init__(self, config: LauncherSimulatorConfig):
    super().__init__(config)
    self._config = config
    self.launcher, self._reset, self._step, self._render = _launcher(
      config.scale, config.num_pages, config.occupancy
    )
    self._lock = threading.Lock()  # touches, adb and screenshots may come from threads
    self._key = jax.random.key(config.seed)
    self._state = None
    self._finger = None  # (x0, y0, x, y) of a finger that is down

  # ------------------------------------------------------------------ BaseSimulator interface

  def adb_device_name(self) -> str:
    return "launcher_simulator"

  def create_adb_controller(self) -> "LauncherAdb":
    return LauncherAdb(self)

  def create_log_stream(self):
    return fake_log_stream.FakeLogStream()  # the launcher writes no logcat

  def _launch_impl(self) -> None:
    with self._lock:
      self._shuffle()

  def send_touch(self, touches: list[tuple[int, int, bool, int]]) -> None:
    with self._lock:
      for x, y, is_down, _ in touches[:1]:  # one finger
        if is_down:
          x0, y0 = (x, y) if self._finger is None else self._finger[:2]
          self._finger = (x0, y0, x, y)
        elif self._finger is not None:
          self._gesture(*self._finger[:2], x, y)
          self._finger = None

  def send_key(self, keycode, event_type: str) -> None:
    del keycode, event_type  # keys arrive through adb (`input keyevent`)

  def _get_screenshot_impl(self) -> np.ndarray:
    with self._lock:
      return np.asarray(self._render(self._state))

  # ------------------------------------------------------------------ the phone

  @property
  def state(self) -> launcher_env.LauncherState:
    return self._state

  @property
  def screen_shape(self) -> tuple[int, int]:
    """(height, width) of the screen in pixels."""
    return layout.H * self._config.scale, layout.W * self._config.scale

  @property
  def foreground_activity(self) -> str:
    app = int(self._state.app)
    return LAUNCHER_ACTIVITY if app == launcher_env.NO_APP else apps.APPS[app].activity

  def _shuffle(self) -> None:
    self._key, key = jax.random.split(self._key)
    self._state = self._reset(key, self._config.pool)

  def _act(self, action: int) -> None:
    self._state = self._step(jax.random.key(0), self._state, action)

  def _gesture(self, x0: int, y0: int, x1: int, y1: int) -> None:
    height, width = self.screen_shape
    dx, dy = (x1 - x0) / width, (y1 - y0) / height
    limit = self._config.swipe_fraction
    if abs(dx) <= limit and abs(dy) <= limit:
      row = min(max(int(y0 * layout.ROWS // height), 0), layout.ROWS - 1)
      col = min(max(int(x0 * layout.COLS // width), 0), layout.COLS - 1)
      self._act(row * layout.COLS + col)
    elif abs(dx) >= abs(dy):
      self._act(launcher_env.SWIPE_LEFT if dx < 0 else launcher_env.SWIPE_RIGHT)
    else:
      self._act(launcher_env.SWIPE_UP if dy < 0 else launcher_env.SWIPE_DOWN)

  def adb(self, args: list[str]) -> bytes:
    """Answers one adb command as a phone running the launcher would (`;` separates device
    shell commands)."""
    with self._lock:
      if args[:1] != ["shell"]:
        return b""
      words = [a for a in args[1:] if a]  # `am start` passes '' when not force-stopping
      commands, current = [], []
      for word in words + [";"]:
        if word == ";":
          commands, current = commands + [current], []
        else:
          current.append(word)
      return b"\n".join(self._shell(cmd) for cmd in commands if cmd)

  def _shell(self, cmd: list[str]) -> bytes:
    if cmd[:2] == ["input", "keyevent"]:
      key = {"KEYCODE_HOME": launcher_env.HOME, "KEYCODE_BACK": launcher_env.BACK}
      if cmd[2] in key:
        self._act(key[cmd[2]])
      return b""
    if cmd[:2] == ["am", "force-stop"]:
      if PACKAGES.get(cmd[2]) == int(self._state.app):
        self._state = self._state.replace(app=np.int32(launcher_env.NO_APP))
      return b""
    if cmd[:2] == ["am", "start"]:
      activity = cmd[cmd.index("-n") + 1] if "-n" in cmd else ""
      if activity not in ACTIVITIES:
        return f"Error: Activity class {{{activity}}} does not exist.".encode()
      self._state = self._state.replace(
        app=np.int32(ACTIVITIES[activity]), from_drawer=np.bool_(False)
      )
      return f"Starting: Intent {{ cmp={activity} }}\nStatus: ok".encode()
    if cmd[:2] == ["am", "broadcast"]:
      if "-a" in cmd and cmd[cmd.index("-a") + 1] == SHUFFLE_ACTION:
        self._shuffle()
      return b"Broadcast completed: result=0"
    if cmd[:3] == ["am", "stack", "list"]:
      activity, (height, width) = self.foreground_activity, self.screen_shape
      return (
        f"RootTask id=1 bounds=[0,0][{width},{height}]"
        f" displayId=0 userId=0\n  taskId=1: {activity} visible=true "
        f"topActivity=ComponentInfo{{{activity}}}"
      ).encode()
    if cmd[:2] == ["dumpsys", "input"]:
      return b" SurfaceOrientation: 0"
    if cmd[:2] == ["wm", "size"]:
      height, width = self.screen_shape
      return f"Physical size: {width}x{height}".encode()
    return b""


class LauncherAdb(adb_controller.AdbController):
  """An adb controller whose device is a `LauncherSimulator` (no adb binary, no server)."""

  def __init__(self, simulator: LauncherSimulator):
    super().__init__(config_classes.AdbControllerConfig(device_name=simulator.adb_device_name()))
    self._simulator = simulator

  def execute_command(self, args, timeout=None, device_specific=True) -> bytes:
    del timeout, device_specific
    return self._simulator.adb(list(args))
