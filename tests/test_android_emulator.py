"""The emulator path of the AndroidEnv bridge, against a fake emulator binary and a fake adb
(tests/fake_android.py): android_env's own EmulatorSimulator, adb controller and call parser
talk to them over gRPC and adb as they would to a real emulator."""

import json
import pathlib
import random
import subprocess
import sys
import time

import numpy as np
import portpicker
import pytest
from android_env.proto import adb_pb2

from envs.android import bridge, emulator, geometry, task
from envs.launcher import apps
from experiments import registry
from experiments.configs import android_common

FAKE = pathlib.Path(__file__).with_name("fake_android.py")
SCREEN = (240, 108)  # height, width: a 2.2:1 phone, taller than the 1.875:1 frame
COMMON = [apps.APPS[i].name for i in apps.TASKS["common"]]


def _free_bases() -> tuple[int, int]:
  """A console port base with 4 free ports above it (2 instances) and a free gRPC pair."""
  for _ in range(200):
    console, grpc = random.randrange(20000, 30000, 2), random.randrange(30000, 40000)
    ports = [console + i for i in range(4)] + [grpc, grpc + 1]
    if all(portpicker.is_port_free(p) for p in ports):
      return console, grpc
  raise RuntimeError("no free ports")


def _shim(path: pathlib.Path, mode: str) -> None:
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" {mode} "$@"\n')
  path.chmod(0o755)


@pytest.fixture
def settings(tmp_path) -> emulator.EmulatorSettings:
  """Settings for the AVD "Pixel_6" of a fake SDK: the fake emulator and adb, free ports."""
  sdk, avds = tmp_path / "sdk", tmp_path / "avd"
  _shim(sdk / "emulator" / "emulator", "emulator")
  _shim(sdk / "platform-tools" / "adb", "adb")
  (avds / "Pixel_6.avd").mkdir(parents=True)
  (avds / "Pixel_6.ini").write_text("path=Pixel_6.avd\n")
  height, width = SCREEN
  (avds / "Pixel_6.avd" / "config.ini").write_text(
    f"hw.lcd.width={width}\nhw.lcd.height={height}\n"
  )
  console, grpc = _free_bases()
  return emulator.EmulatorSettings(
    avd_name="Pixel_6",
    sdk_root=str(sdk),
    avd_home=str(avds),
    console_port=console,
    grpc_port=grpc,
    adb_server_port=portpicker.pick_unused_port(),
    boot_timeout_s=60,
  )


def _lines(path: pathlib.Path) -> list:
  return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _flag(argv, name):
  return argv[argv.index(name) + 1]


def _start(env, activity: str) -> None:
  start = adb_pb2.AdbRequest.StartActivity(full_activity=activity)
  env.execute_adb_call(adb_pb2.AdbRequest(start_activity=start))


def test_two_environments_of_one_avd_get_their_own_read_only_instances(settings, tiny_clip_dirs):
  config = android_common.get_config("smoke")
  config.reward.model = str(tiny_clip_dirs["flax"])
  config.env.name = "android_emulator"
  config.env.emulator.update(
    {k: getattr(settings, k) for k in ("avd_name", "sdk_root", "avd_home", "gpu_mode")}
  )
  config.env.emulator.update(
    console_port=settings.console_port,
    grpc_port=settings.grpc_port,
    adb_server_port=settings.adb_server_port,
  )
  batch = registry.make_host_envs(config, 0, 0)  # actor 0's 2 environments
  try:
    launches = _lines(pathlib.Path(settings.avd_home) / "Pixel_6.launches.jsonl")
    assert len(launches) == 2
    argvs = [launch["argv"] for launch in launches]
    assert all("-read-only" in a and _flag(a, "-avd") == "Pixel_6" for a in argvs)
    assert len({_flag(a, "-ports") for a in argvs}) == 2  # console and adb ports apart
    assert len({_flag(a, "-grpc") for a in argvs}) == 2
    assert all("-no-snapshot" in a and _flag(a, "-gpu") == "swangle_indirect" for a in argvs)
    first, second = batch.envs
    assert first._env.ports != second._env.ports
    batch.begin()
    # One device per environment: an app opened on the first leaves the second's home screen.
    _start(first._env, "com.google.android.gm/.ConversationListActivityGmail")
    assert first.foreground().startswith("com.google.android.gm/")
    assert second.foreground() == emulator_launcher_activity()
  finally:
    batch.close()
  for launch in launches:  # closing the environments ended their emulators
    assert not _alive(launch["pid"])


def emulator_launcher_activity() -> str:
  return "com.google.android.apps.nexuslauncher/.NexusLauncherActivity"


def _alive(pid: int) -> bool:
  for _ in range(50):
    try:
      with open(f"/proc/{pid}/stat") as f:
        if f.read().split()[2] == "Z":
          return False
    except FileNotFoundError:
      return False
    time.sleep(0.1)
  return True


def test_a_second_writable_instance_of_an_avd_is_refused_by_the_emulator(settings):
  """What read-only instances avoid: the emulator refuses a second writable launch (the
  fake does as the real one), and the error says so."""
  writable = emulator.EmulatorSettings(**{**settings.__dict__, "read_only": False})
  first = emulator.EmulatorProcess(writable, emulator.instance_ports(writable, 0))
  try:
    with pytest.raises(RuntimeError, match=r"(?s)exited \(1\).*-read-only flag"):
      emulator.EmulatorProcess(writable, emulator.instance_ports(writable, 1))
  finally:
    first.close()


_LAUNCH_AND_WAIT = """
import sys, time
from envs.android import emulator
settings = emulator.EmulatorSettings(**eval(sys.argv[1]))
emulator.EmulatorProcess(settings, emulator.instance_ports(settings, 0))
print("launched", flush=True)
time.sleep(600)
"""


def test_an_emulator_ends_with_the_process_that_launched_it(settings):
  """A killed actor leaves no emulator behind on its ports; a busy port is a clear error."""
  owner = subprocess.Popen(
    [sys.executable, "-c", _LAUNCH_AND_WAIT, repr(settings.__dict__)],
    stdout=subprocess.PIPE,
    cwd=pathlib.Path(__file__).resolve().parents[1],
  )
  try:
    assert owner.stdout.readline().strip() == b"launched"
    with pytest.raises(RuntimeError, match=r"ports \[.*\] are in use.*attach="):
      emulator.EmulatorProcess(settings, emulator.instance_ports(settings, 0))
  finally:
    owner.kill()
    owner.wait()
  (launch,) = _lines(pathlib.Path(settings.avd_home) / "Pixel_6.launches.jsonl")
  assert not _alive(launch["pid"])


@pytest.fixture
def running(settings, tmp_path):
  """An emulator started outside the bridge, as a user's (serial, gRPC port, settings)."""
  ports = emulator.instance_ports(settings, 0)
  command = emulator.launch_command(
    emulator.EmulatorSettings(**{**settings.__dict__, "snapshot": "home"}), ports
  )
  log = open(tmp_path / "running.log", "wb")
  process = subprocess.Popen(
    command, env=emulator.launch_environment(settings), stdout=log, stderr=log
  )
  deadline = time.monotonic() + 60
  while not emulator._port_open(ports.grpc) and time.monotonic() < deadline:
    time.sleep(0.1)
  attach = emulator.EmulatorSettings(
    sdk_root=settings.sdk_root,
    avd_home=settings.avd_home,
    adb_server_port=settings.adb_server_port,
    attach=f"{ports.serial}:{ports.grpc}",
  )
  yield ports, attach
  process.terminate()
  process.wait(timeout=30)
  log.close()


def test_attach_to_a_running_emulator_resets_by_force_stop_or_snapshot(running, tiny_clip_dirs):
  ports, attach = running
  home = pathlib.Path(attach.avd_home)
  config = android_common.get_config("smoke")
  config.reward.model = str(tiny_clip_dirs["flax"])
  model = registry.reward_model(config, COMMON)
  env = emulator.load_emulator_env(attach, packages=task.app_packages("common"))
  try:
    assert env.process is None and env.ports == ports
    assert len(_lines(home / "Pixel_6.launches.jsonl")) == 1  # the user's launch only
    open_app = bridge.OpenAppEnv(env, model, max_steps=4, seed=0)
    frame, goal, success = open_app.begin()
    # The reset is one shell command: HOME, then force-stop of the goal apps only.
    shell = _lines(home / f"{ports.serial}.shell.jsonl")
    resets = [cmd for cmd in shell if "force-stop" in cmd]
    assert len(resets) == 1 and resets[0][:3] == ["input", "keyevent", "KEYCODE_HOME"]
    stopped = [resets[0][i + 1] for i, w in enumerate(resets[0]) if w == "force-stop"]
    assert stopped == task.app_packages("common")
    # Geometry from the device: the 2.2:1 screen keeps its aspect, with black bars.
    box = open_app.screen
    assert (box.height, box.width, box.left) == (120, 54, 5)
    assert frame.shape == (120, 64, 3) and not frame[:, :5].any() and not frame[:, 59:].any()
    assert frame[:, 5:59].any() and not success
    # A tap lands where the agent saw its cell: through the letterbox, not squashed.
    open_app.act(0)  # the top-left cell
    touches = _lines(home / f"{ports.serial}.touches.jsonl")
    touch = next(t[0] for t in touches if t[0][2] == 1)  # the finger down
    expected = geometry.frame_to_screen(box, 0.5 / 6, 0.5 / 4)
    assert abs(touch[0] - expected[1] * SCREEN[1]) <= 1  # squashed, it would be at 13.5
    assert abs(touch[0] - 0.125 * SCREEN[1]) > 5
    # Ground truth by package: the goal app's splash activity counts; by activity it does not.
    package = apps.APPS[apps.TASKS["common"][goal]].activity.split("/")[0]
    _start(env, f"{package}/.SplashActivity")
    assert open_app.ground_truth()
    open_app.match = "activity"
    assert not open_app.ground_truth()
    # With a snapshot, a reset loads it (android_env's load_state) and sends no reset command.
    snap = bridge.OpenAppEnv(env, model, max_steps=4, seed=0, snapshot="home")
    before = len(_lines(home / f"{ports.serial}.shell.jsonl"))
    snap.begin()
    assert snap.foreground() == emulator_launcher_activity()
    new = _lines(home / f"{ports.serial}.shell.jsonl")[before:]
    assert ["#load-snapshot", "home"] in new
    missing = bridge.OpenAppEnv(env, model, max_steps=4, seed=0, snapshot="nope")
    with pytest.raises(RuntimeError, match="did not load snapshot 'nope'"):
      missing.begin()
  finally:
    env.close()


def test_emulator_settings_are_checked_with_clear_errors(tmp_path, settings):
  with pytest.raises(FileNotFoundError, match="emulator binary .* adb .* the AVD 'Pixel_9'"):
    emulator.check_settings(
      emulator.EmulatorSettings(avd_name="Pixel_9", sdk_root=str(tmp_path), avd_home=str(tmp_path))
    )
  with pytest.raises(ValueError, match="'emulator-5555:8554'.*emulator-<console port>"):
    emulator.parse_attach("emulator-5555:8554")  # console ports are even
  with pytest.raises(ValueError, match="instance 2 has no emulator to attach to"):
    emulator.instance_ports(
      emulator.EmulatorSettings(attach="emulator-5554:8554,emulator-5556:8556"), 2
    )
  with pytest.raises(ValueError, match="gpu_mode must be one of"):
    emulator.check_settings(emulator.EmulatorSettings(**{**settings.__dict__, "gpu_mode": "fast"}))
  assert emulator.parse_attach(" emulator-5554:8554 , emulator-5556:8556") == [
    emulator.Ports(5554, 5555, 8554),
    emulator.Ports(5556, 5557, 8556),
  ]
  assert emulator.instance_ports(settings, 1) == emulator.Ports(
    settings.console_port + 2, settings.console_port + 3, settings.grpc_port + 1
  )
  snap = emulator.EmulatorSettings(avd_name="A", snapshot="home", read_only=False, gpu_mode="host")
  command = emulator.launch_command(snap, emulator.Ports(5554, 5555, 8554))
  assert command[command.index("-snapshot") + 1] == "home" and "-no-snapshot-save" in command
  assert "-read-only" not in command and command[command.index("-gpu") + 1] == "host"
  env = emulator.launch_environment(emulator.EmulatorSettings(kvm_device="/dev/kvm2"))
  assert env["ANDROID_EMULATOR_KVM_DEVICE"] == "/dev/kvm2"
  bad = android_common.get_config("smoke")
  bad.env.emulator.avd = "x"
  with pytest.raises(ValueError, match=r"env.emulator has unknown keys \['avd'\]"):
    registry.emulator_settings(bad.env)


def test_ground_truth_by_package_accepts_an_apps_other_activities():
  gmail = "com.google.android.gm/.ConversationListActivityGmail"
  splash = "com.google.android.gm/com.google.android.gm.SplashAlias"
  assert bridge.success_of(splash, gmail) and bridge.success_of(gmail, gmail)
  assert not bridge.success_of(splash, gmail, "activity")
  assert bridge.success_of(
    "com.google.android.gm/com.google.android.gm.ConversationListActivityGmail", gmail, "activity"
  )
  assert not bridge.success_of("com.google.android.gms/.Other", gmail)  # a prefix is not a match
  assert not bridge.success_of("", gmail)


def test_letterbox_keeps_the_aspect_and_taps_follow_it():
  box = geometry.letterbox((2400, 1080), (120, 64))
  assert (box.top, box.left, box.height, box.width) == (0, 5, 120, 54)
  wide = geometry.letterbox((100, 100), (120, 64))  # wider than the frame: bars above and below
  assert (wide.top, wide.height, wide.width) == (28, 64, 64)
  same = geometry.letterbox((480, 256), (120, 64))
  assert same.fills_frame
  # Same aspect: the taps are the cell centres (the simulator's grid, unchanged).
  taps = geometry.tap_targets(same, 6, 4)
  np.testing.assert_allclose(taps[5], [(1 + 0.5) / 4, (1 + 0.5) / 6], rtol=1e-6)
  # A taller screen: cell centres move inward, through the bars; a point on a bar clips.
  tall = geometry.tap_targets(box, 6, 4)
  assert tall[0, 0] == pytest.approx((0.125 * 64 - 5) / 54)
  assert geometry.frame_to_screen(box, 0.5, 0.0) == (0.5, 0.0)
  region = geometry.tap_targets(box, 2, 2, region=(0.1, 0.0, 0.9, 1.0))
  np.testing.assert_allclose(region[:, 1], [0.3, 0.3, 0.7, 0.7], rtol=1e-6)
  with pytest.raises(ValueError, match="tap region must be"):
    geometry.tap_targets(box, 6, 4, region=(0.5, 0.0, 0.4, 1.0))
  screen = np.full((2400, 1080, 3), 200, np.uint8)
  frame = geometry.fit_frame(screen, (120, 64))
  assert frame.shape == (120, 64, 3) and not frame[:, :5].any() and not frame[:, 59:].any()
  assert (frame[:, 5:59] == 200).all()
