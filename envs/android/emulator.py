"""Android emulator instances for android_env: one per environment, launched or attached.

  settings = emulator.EmulatorSettings(avd_name="Pixel_6_API_34", snapshot="home")
  env = emulator.load_emulator_env(settings, instance=3)   # its own emulator, read-only
  env = emulator.load_emulator_env(EmulatorSettings(attach="emulator-5554:8554"))  # running

An AVD runs once unless its instances are read-only (the emulator's `-read-only` flag: the
disk images are shared, every write goes to a temporary overlay that is dropped on exit), so
several environments of one AVD each launch a read-only instance of it on ports of their own.
android_env's `EmulatorLauncher` builds a fixed command line without `-read-only` and picks
ports with a check-then-use race between processes, so instances are launched here, on ports
fixed by the instance number (`instance_ports`), and android_env attaches to them by port as it
attaches to any running emulator. `attach` names running emulators instead ("serial:grpc
port", comma-separated, one per instance); nothing is launched then.

With `snapshot`, an instance boots from that snapshot of the AVD, and `OpenAppEnv` loads it
(android_env's `load_state`, the emulator's gRPC snapshot service) at every reset: the phone
comes back to the saved home screen with every app closed. Without one, a reset is one adb
shell command: HOME, then `am force-stop` of the task's goal apps (`task.py`).
"""

import dataclasses
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time

from android_env import environment, loader
from android_env.components import config_classes

from envs.android import task as task_lib

GPU_MODES = ("host", "swangle_indirect", "swiftshader_indirect", "guest", "auto")
_SERIAL = re.compile(r"emulator-(\d+)")


@dataclasses.dataclass(frozen=True)
class EmulatorSettings:
  """Where the emulator and the AVD are and how to run them (config `env.emulator`).

  Attributes:
    avd_name: the AVD to launch (unused with `attach`).
    sdk_root, avd_home: the Android SDK and the AVD folder.
    emulator_path, adb_path: default `<sdk_root>/emulator/emulator` and
      `<sdk_root>/platform-tools/adb`.
    snapshot: a snapshot of the AVD to boot from and to load at every reset ("" cold-boots and
      resets by force-stopping the goal apps).
    gpu_mode: the emulator's `-gpu` (one of `GPU_MODES`).
    kvm_device: the KVM device the emulator uses.
    run_headless: no window.
    read_only: launch `-read-only` instances, so that many run from one AVD; False for a single
      instance that may write to the AVD.
    interaction_rate_sec: android_env's screenshot interval (0: each step fetches one).
    attach: running emulators, "emulator-5554:8554,emulator-5556:8556" (adb serial : gRPC port,
      one per instance); "" launches them.
    console_port, grpc_port: instance i launches on console port `console_port + 2 i` (adb one
      above it) and gRPC port `grpc_port + i`.
    adb_server_port: the adb server's port.
    boot_timeout_s: seconds to wait for a launched emulator's gRPC port.
  """

  avd_name: str = ""
  sdk_root: str = "~/Android/Sdk"
  avd_home: str = "~/.android/avd"
  emulator_path: str = ""
  adb_path: str = ""
  snapshot: str = ""
  gpu_mode: str = "swangle_indirect"
  kvm_device: str = "/dev/kvm"
  run_headless: bool = True
  read_only: bool = True
  interaction_rate_sec: float = 0.0
  attach: str = ""
  console_port: int = 5554
  grpc_port: int = 8554
  adb_server_port: int = 5037
  boot_timeout_s: float = 300.0

  @property
  def emulator(self) -> pathlib.Path:
    return _expand(self.emulator_path or f"{self.sdk_root}/emulator/emulator")

  @property
  def adb(self) -> pathlib.Path:
    return _expand(self.adb_path or f"{self.sdk_root}/platform-tools/adb")


@dataclasses.dataclass(frozen=True)
class Ports:
  """An emulator's console, adb and gRPC ports; its adb serial is `emulator-<console>`."""

  console: int
  adb: int
  grpc: int

  @property
  def serial(self) -> str:
    return f"emulator-{self.console}"


def _expand(path: str) -> pathlib.Path:
  return pathlib.Path(os.path.expanduser(path))


def parse_attach(text: str) -> list[Ports]:
  """ "emulator-5554:8554,emulator-5556:8556" -> the ports of each running emulator.

  Raises:
    ValueError: an entry is not "emulator-<even console port>:<gRPC port>".
  """
  ports = []
  for entry in filter(None, (e.strip() for e in text.split(","))):
    serial, _, grpc = entry.partition(":")
    match = _SERIAL.fullmatch(serial)
    if not match or not grpc.isdigit() or int(match[1]) % 2:
      raise ValueError(
        f"Bad emulator attach entry {entry!r}: write 'emulator-<console port>:<gRPC port>', "
        "e.g. 'emulator-5554:8554' (`adb devices` lists the serials; the gRPC port is the "
        "emulator's -grpc flag), entries separated by commas."
      )
    console = int(match[1])
    ports.append(Ports(console, console + 1, int(grpc)))
  return ports


def instance_ports(settings: EmulatorSettings, instance: int) -> Ports:
  """The ports of instance `instance`: an attached emulator's, or those it is launched on."""
  if instance < 0:
    raise ValueError(f"instance must be >= 0, got {instance}.")
  if settings.attach:
    running = parse_attach(settings.attach)
    if instance >= len(running):
      raise ValueError(
        f"Environment instance {instance} has no emulator to attach to: attach names "
        f"{len(running)} ({settings.attach!r}). Name one running emulator per environment "
        "(num_actors x envs_per_actor in all), or leave attach empty to launch them."
      )
    return running[instance]
  console = settings.console_port + 2 * instance
  return Ports(console, console + 1, settings.grpc_port + instance)


def check_settings(settings: EmulatorSettings) -> None:
  """Raises FileNotFoundError / ValueError naming what is missing or wrong, and how to fix it."""
  if settings.gpu_mode not in GPU_MODES:
    raise ValueError(f"gpu_mode must be one of {GPU_MODES}, got {settings.gpu_mode!r}.")
  if settings.attach:
    parse_attach(settings.attach)
  missing = []
  if not settings.attach and not settings.emulator.is_file():
    missing.append(f"the emulator binary {settings.emulator} (sdkmanager 'emulator')")
  if not settings.adb.is_file():
    missing.append(f"adb {settings.adb} (sdkmanager 'platform-tools')")
  ini = _expand(settings.avd_home) / f"{settings.avd_name}.ini"
  if not settings.attach and not (settings.avd_name and ini.is_file()):
    missing.append(f"the AVD {settings.avd_name!r} ({ini}; avdmanager create avd)")
  if missing:
    raise FileNotFoundError(
      "Cannot start an Android emulator: missing " + "; ".join(missing) + ". Install the "
      "Android SDK command-line tools, or set sdk_root / emulator_path / adb_path / avd_home "
      "(docs/android.md, 'Against a real emulator'), or attach to running emulators "
      "(attach='emulator-5554:8554'). Without an emulator, use bridge.load_launcher_env()."
    )


def launch_command(settings: EmulatorSettings, ports: Ports) -> list[str]:
  """The emulator's command line for one instance."""
  command = [str(settings.emulator), "-avd", settings.avd_name]
  command += ["-ports", f"{ports.console},{ports.adb}", "-grpc", str(ports.grpc)]
  command += ["-gpu", settings.gpu_mode, "-no-audio", "-no-boot-anim"]
  command += ["-read-only"] if settings.read_only else []
  command += ["-no-window", "-no-skin"] if settings.run_headless else []
  if settings.snapshot:
    command += ["-snapshot", settings.snapshot, "-no-snapshot-save"]
  else:
    command += ["-no-snapshot"]
  return command


def launch_environment(settings: EmulatorSettings) -> dict[str, str]:
  """The environment variables the emulator reads: SDK, AVD folder, KVM device, adb server."""
  return {
    **os.environ,
    "ANDROID_SDK_ROOT": str(_expand(settings.sdk_root)),
    "ANDROID_AVD_HOME": str(_expand(settings.avd_home)),
    "ANDROID_EMULATOR_KVM_DEVICE": settings.kvm_device,
    "ANDROID_ADB_SERVER_PORT": str(settings.adb_server_port),
  }


# Run by a fresh interpreter between the fork and the emulator: it asks Linux to end it when
# its parent (the launching thread) dies (PR_SET_PDEATHSIG, kept across exec), gives up if
# that parent is already gone, and becomes the emulator. Nothing runs in the forked child of
# the launching process itself, whose other threads (JAX's) make code there unsafe.
_DIE_WITH_PARENT = (
  "import ctypes, os, signal, sys; "
  "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM); "
  "os.getppid() == int(sys.argv[1]) or sys.exit(1); "
  "os.execvp(sys.argv[2], sys.argv[2:])"
)


def _dying_with_parent(command: list[str]) -> list[str]:
  """`command` launched so that it ends with the process that launches it (on Linux)."""
  if not sys.platform.startswith("linux"):
    return list(command)
  return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]


class EmulatorProcess:
  """A launched emulator instance: its process, log file and ports. It ends with the process
  that launched it (on Linux), or at `close()`."""

  def __init__(self, settings: EmulatorSettings, ports: Ports, log_dir: str | None = None):
    self.ports, self.command = ports, launch_command(settings, ports)
    busy = [p for p in (ports.console, ports.adb, ports.grpc) if _port_open(p)]
    if busy:
      raise RuntimeError(
        f"Cannot launch {ports.serial}: ports {busy} are in use, perhaps by an emulator of an "
        "earlier run (`adb devices` lists them; `adb -s SERIAL emu kill` stops one). Stop it, "
        "attach to it (attach='SERIAL:GRPC_PORT'), or move console_port / grpc_port."
      )
    log_dir = log_dir or tempfile.mkdtemp(prefix="vlm-rewards-emulator-")
    self.log_path = pathlib.Path(log_dir) / f"{ports.serial}.log"
    self._log = open(self.log_path, "wb")
    self._process = subprocess.Popen(
      _dying_with_parent(self.command),
      env=launch_environment(settings),
      stdout=self._log,
      stderr=self._log,
    )
    self._wait_for_grpc(settings.boot_timeout_s)

  def _wait_for_grpc(self, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
      if self._process.poll() is not None:
        self.close()
        raise RuntimeError(
          f"The emulator {self.ports.serial} exited ({self._process.returncode}) before "
          f"serving gRPC on port {self.ports.grpc}. Its log ({self.log_path}) ends:\n"
          + self.log_path.read_text(errors="replace")[-2000:]
        )
      if _port_open(self.ports.grpc):
        return
      time.sleep(0.1)
    self.close()
    raise TimeoutError(
      f"The emulator {self.ports.serial} served no gRPC on port {self.ports.grpc} within "
      f"{timeout_s} s (boot_timeout_s); its log: {self.log_path}."
    )

  @property
  def pid(self) -> int:
    return self._process.pid

  def close(self) -> None:
    if self._process.poll() is None:
      self._process.terminate()
      try:
        self._process.wait(timeout=30)
      except subprocess.TimeoutExpired:
        self._process.kill()
        self._process.wait()
    self._log.close()


def _port_open(port: int) -> bool:
  with socket.socket() as s:
    s.settimeout(0.2)
    return s.connect_ex(("localhost", port)) == 0


class EmulatorEnv:
  """An android_env `AndroidEnv` on one emulator, which closes the emulator it launched."""

  def __init__(self, env: environment.AndroidEnv, ports: Ports, process=None):
    self.env, self.ports, self.process = env, ports, process

  def __getattr__(self, name):
    return getattr(self.env, name)

  def close(self) -> None:
    try:
      self.env.close()
    finally:
      if self.process is not None:
        self.process.close()


def android_env_config(settings: EmulatorSettings, ports: Ports, task_path: str):
  """android_env's config for an emulator on `ports`: all three ports set, so android_env
  attaches to it and launches nothing."""
  launcher = config_classes.EmulatorLauncherConfig(
    emulator_path=str(settings.emulator),
    android_sdk_root=str(_expand(settings.sdk_root)),
    avd_name=settings.avd_name,
    android_avd_home=str(_expand(settings.avd_home)),
    snapshot_name=settings.snapshot,
    kvm_device=settings.kvm_device,
    gpu_mode=settings.gpu_mode,
    run_headless=settings.run_headless,
    adb_port=ports.adb,
    emulator_console_port=ports.console,
    grpc_port=ports.grpc,
  )
  adb = config_classes.AdbControllerConfig(
    adb_path=str(settings.adb), adb_server_port=settings.adb_server_port
  )
  return config_classes.AndroidEnvConfig(
    task=config_classes.FilesystemTaskConfig(path=task_path),
    simulator=config_classes.EmulatorConfig(
      emulator_launcher=launcher,
      adb_controller=adb,
      interaction_rate_sec=settings.interaction_rate_sec,
    ),
  )


def load_emulator_env(
  settings: EmulatorSettings,
  *,
  instance: int = 0,
  max_episode_steps: int = 0,
  packages=(),
  log_dir: str | None = None,
) -> EmulatorEnv:
  """android_env on emulator instance `instance`: launched (read-only unless told otherwise)
  on its own ports, or the running one `attach` names. Its task's reset force-stops
  `packages` (none when the snapshot is loaded at every reset instead).

  Raises:
    FileNotFoundError, ValueError: bad settings (checked before anything starts).
    RuntimeError, TimeoutError: a launched emulator exited or served no gRPC in time.
  """
  check_settings(settings)
  ports = instance_ports(settings, instance)
  process = None if settings.attach else EmulatorProcess(settings, ports, log_dir)
  try:
    task_path = tempfile.NamedTemporaryFile("w", suffix=".textproto", delete=False).name
    task_lib.write_task(task_path, max_episode_steps, packages, reset=not settings.snapshot)
    env = loader.load(android_env_config(settings, ports, task_path))
  except BaseException:
    if process is not None:
      process.close()
    raise
  return EmulatorEnv(env, ports, process)
