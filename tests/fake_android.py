"""A fake Android emulator binary and a fake adb, for tests of the emulator path without one.

  python tests/fake_android.py emulator -avd NAME -ports 5554,5555 -grpc 8554 [-read-only] ...
  python tests/fake_android.py adb -P 5037 -s emulator-5554 shell am stack list

The emulator appends its arguments to `$ANDROID_AVD_HOME/<avd>.launches.jsonl` and, like the
real one, refuses a second writable launch of an AVD (a lock in the AVD's folder) unless
launched `-read-only`. It then serves android_env's gRPC calls on its `-grpc` port
(status, screenshots, touches, snapshots) and adb shell commands on its adb port: HOME,
`am start -n`, `am force-stop`, `am stack list` (the foreground activity), orientation and
screen size, several per command when `;` separates them. Each shell command is appended to
`$ANDROID_AVD_HOME/<serial>.shell.jsonl`, each touch event to `<serial>.touches.jsonl`
(screen pixels). The screen (size from the AVD's `config.ini`,
`hw.lcd.width` / `hw.lcd.height`) is one colour per foreground activity. The adb client
forwards a device's commands to its emulator's adb port.
"""

import fcntl
import json
import os
import socket
import sys
import time
import zlib

LAUNCHER = "com.google.android.apps.nexuslauncher/.NexusLauncherActivity"
REFUSAL = (
  "ERROR | Running multiple emulators with the same AVD is an experimental feature. "
  "Please use -read-only flag to enable this feature."
)


def _flag(argv: list[str], name: str, default: str = "") -> str:
  return argv[argv.index(name) + 1] if name in argv else default


def _screen_size(avd_dir: str) -> tuple[int, int]:
  size = {"hw.lcd.width": 108, "hw.lcd.height": 240}
  path = os.path.join(avd_dir, "config.ini")
  if os.path.exists(path):
    for line in open(path):
      key, _, value = line.partition("=")
      if key.strip() in size:
        size[key.strip()] = int(value)
  return size["hw.lcd.height"], size["hw.lcd.width"]


class Device:
  """The phone's state: the foreground activity, the touches, the snapshot loads."""

  def __init__(self, serial: str, home: str, shape: tuple[int, int], snapshot: str):
    self.serial, self.home, self.shape = serial, home, shape
    self.foreground, self.snapshots = LAUNCHER, {"default_boot", snapshot}

  def shell(self, words: list[str]) -> bytes:
    with open(os.path.join(self.home, f"{self.serial}.shell.jsonl"), "a") as f:
      f.write(json.dumps(words) + "\n")
    commands, current = [], []
    for word in [*words, ";"]:
      if word == ";":
        commands, current = [*commands, current], []
      elif word:
        current.append(word)
    return b"\n".join(self._one(c) for c in commands if c)

  def _one(self, cmd: list[str]) -> bytes:
    if cmd[:3] == ["input", "keyevent", "KEYCODE_HOME"]:
      self.foreground = LAUNCHER
    elif cmd[:2] == ["am", "force-stop"] and self.foreground.split("/")[0] == cmd[2]:
      self.foreground = LAUNCHER
    elif cmd[:2] == ["am", "start"] and "-n" in cmd:
      self.foreground = _flag(cmd, "-n")
      return f"Starting: Intent {{ cmp={self.foreground} }}".encode()
    elif cmd[:3] == ["am", "stack", "list"]:
      return (
        f"RootTask id=1 bounds=[0,0][{self.shape[1]},{self.shape[0]}] displayId=0\n"
        f"  taskId=1: {self.foreground} visible=true topActivity=ComponentInfo{{{self.foreground}}}"
      ).encode()
    elif cmd[:2] == ["dumpsys", "input"]:
      return b" SurfaceOrientation: 0"
    elif cmd[:2] == ["wm", "size"]:
      return f"Physical size: {self.shape[1]}x{self.shape[0]}".encode()
    return b""

  def screenshot(self) -> bytes:
    colour = zlib.crc32(self.foreground.encode()).to_bytes(4, "little")[:3] + b"\xff"
    return colour * (self.shape[0] * self.shape[1])


def _serve_grpc(device: Device, port: int):
  from concurrent import futures

  import grpc
  from android_env.proto import emulator_controller_pb2 as ec
  from android_env.proto import emulator_controller_pb2_grpc as ec_grpc
  from android_env.proto import snapshot_service_pb2 as ss
  from android_env.proto import snapshot_service_pb2_grpc as ss_grpc
  from google.protobuf import empty_pb2

  class Controller(ec_grpc.EmulatorControllerServicer):
    def getStatus(self, request, context):
      return ec.EmulatorStatus(booted=True, uptime=1)

    def getScreenshot(self, request, context):
      h, w = device.shape
      fmt = ec.ImageFormat(format=ec.ImageFormat.ImgFormat.RGBA8888, width=w, height=h)
      return ec.Image(format=fmt, image=device.screenshot())

    def sendTouch(self, request, context):
      touches = [[t.x, t.y, t.pressure] for t in request.touches]
      with open(os.path.join(device.home, f"{device.serial}.touches.jsonl"), "a") as f:
        f.write(json.dumps(touches) + "\n")
      return empty_pb2.Empty()

    def sendKey(self, request, context):
      return empty_pb2.Empty()

  class Snapshots(ss_grpc.SnapshotServiceServicer):
    def ListSnapshots(self, request, context):
      return ss.SnapshotList(
        snapshots=[ss.SnapshotDetails(snapshot_id=s) for s in device.snapshots]
      )

    def LoadSnapshot(self, request, context):
      if request.snapshot_id not in device.snapshots:
        return ss.SnapshotPackage(success=False, err=b"no such snapshot")
      device.foreground = LAUNCHER
      device.shell(["#load-snapshot", request.snapshot_id])
      return ss.SnapshotPackage(success=True)

  server = grpc.server(futures.ThreadPoolExecutor(4))
  ec_grpc.add_EmulatorControllerServicer_to_server(Controller(), server)
  ss_grpc.add_SnapshotServiceServicer_to_server(Snapshots(), server)
  server.add_secure_port(f"localhost:{port}", grpc.local_server_credentials())
  server.start()
  return server


def emulator(argv: list[str]) -> int:
  home = os.environ["ANDROID_AVD_HOME"]
  avd, read_only = _flag(argv, "-avd"), "-read-only" in argv
  console, adb_port = (int(p) for p in _flag(argv, "-ports").split(","))
  with open(os.path.join(home, f"{avd}.launches.jsonl"), "a") as f:
    f.write(json.dumps({"argv": argv, "pid": os.getpid()}) + "\n")
  avd_dir = os.path.join(home, f"{avd}.avd")
  lock = open(os.path.join(avd_dir, "hardware-qemu.ini.lock"), "w")
  if not read_only:
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      print(REFUSAL, flush=True)
      return 1
  snapshot = _flag(argv, "-snapshot")
  device = Device(f"emulator-{console}", home, _screen_size(avd_dir), snapshot)
  server = _serve_grpc(device, int(_flag(argv, "-grpc")))
  listener = socket.create_server(("localhost", adb_port))
  print(f"emulator: {avd} serving on {console},{adb_port}", flush=True)
  while True:
    conn, _ = listener.accept()
    with conn, conn.makefile("rb") as stream:
      line = stream.readline()
      if line:  # an empty connection is a liveness probe (the fake logcat's)
        conn.sendall(device.shell(json.loads(line)))
  server.stop(0)


def adb(argv: list[str]) -> int:
  serial = _flag(argv, "-s")
  args = [
    a
    for i, a in enumerate(argv)
    if a not in ("-P", "-s") and argv[i - 1 : i] not in (["-P"], ["-s"])
  ]
  if not serial:
    print("List of devices attached" if args[:1] == ["devices"] else "")
    return 0
  port = int(serial.split("-")[1]) + 1
  if args[:1] == ["logcat"]:  # a stream that ends with its device
    while _reachable(port):
      time.sleep(1.0)
    return 0
  if args[:1] != ["shell"]:
    return 0
  try:
    with socket.create_connection(("localhost", port), timeout=10) as conn:
      conn.sendall((json.dumps(args[1:]) + "\n").encode())
      sys.stdout.buffer.write(conn.makefile("rb").read())
  except OSError:
    print(f"adb: device '{serial}' not found", file=sys.stderr)
    return 1
  return 0


def _reachable(port: int) -> bool:
  with socket.socket() as s:
    return s.connect_ex(("localhost", port)) == 0


if __name__ == "__main__":
  sys.exit({"emulator": emulator, "adb": adb}[sys.argv[1]](sys.argv[2:]))
