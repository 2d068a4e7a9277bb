"""Starts N local processes of one script, as N hosts would run it: multi-host on one machine.

  python -m experiments.launch_local --processes=2 --devices_per_process=2 -- \\
      experiments.train --config=experiments/configs/playhouse_find.py:smoke --workdir=/tmp/mh

Each process gets `--xla_force_host_platform_device_count` CPU devices and the
`--coordinator_address / --num_processes / --process_id` flags of `experiments.distributed`;
their collectives run over gloo. This is for trying multi-host code on one machine (the tests
use it); on a TPU pod slice or a GPU cluster run the script itself on every host (README).

SIGTERM and SIGINT are passed on to every process. When one process fails, the others are
given `--grace` seconds to notice and then killed (a process left waiting on a collective with
a dead peer would otherwise hang). The exit status is the first failing process's, else 0.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time


def free_port() -> int:
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return s.getsockname()[1]


def parse_args(argv=None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  parser.add_argument("--processes", type=int, default=2, help="Processes to start (>= 1).")
  parser.add_argument("--devices_per_process", type=int, default=2, help="CPU devices each.")
  parser.add_argument("--grace", type=float, default=30.0, help="Seconds before killing.")
  parser.add_argument("module", help="The module to run, e.g. experiments.train.")
  parser.add_argument("args", nargs=argparse.REMAINDER, help="The module's flags.")
  args = parser.parse_args(argv)
  if args.processes < 1 or args.devices_per_process < 1:
    parser.error("--processes and --devices_per_process must be >= 1.")
  return args


def commands(args: argparse.Namespace, port: int) -> list[list[str]]:
  """The command line of each process (flags of experiments.distributed appended)."""
  base = [sys.executable, "-m", args.module, *[a for a in args.args if a != "--"]]
  if args.processes == 1:
    return [base]
  coordinator = f"--coordinator_address=localhost:{port}"
  return [
    [*base, coordinator, f"--num_processes={args.processes}", f"--process_id={i}"]
    for i in range(args.processes)
  ]


def main(argv=None) -> int:
  args = parse_args(argv)
  xla_flags = os.environ.get("XLA_FLAGS", "")
  env = {
    **os.environ,
    "JAX_PLATFORMS": "cpu",
    "XLA_FLAGS": f"{xla_flags} --xla_force_host_platform_device_count={args.devices_per_process}",
  }
  procs = [subprocess.Popen(c, env=env) for c in commands(args, free_port())]

  def forward(signum, frame):
    del frame
    for p in procs:
      if p.poll() is None:
        p.send_signal(signum)

  for sig in (signal.SIGTERM, signal.SIGINT):
    signal.signal(sig, forward)
  failed_at, status = None, 0
  while any(p.poll() is None for p in procs):
    time.sleep(0.2)
    codes = [p.returncode for p in procs if p.returncode not in (None, 0)]
    if codes and failed_at is None:
      failed_at, status = time.time(), codes[0]
    if failed_at is not None and time.time() - failed_at > args.grace:
      for p in procs:
        if p.poll() is None:
          p.kill()
  codes = [p.returncode for p in procs if p.returncode != 0]
  status = status or (codes[0] if codes else 0)
  return 128 - status if status < 0 else status  # killed by a signal: the shell's 128 + signal


if __name__ == "__main__":
  sys.exit(main())
