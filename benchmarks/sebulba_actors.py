"""Frames per second of Sebulba with 1, 2 and 4 actors as processes (or threads, or Ray actors).

  python benchmarks/sebulba_actors.py [--kinds processes] [--actors 1,2,4] [--envs android,host]
      [--updates 24] [--out benchmarks/results/sebulba_actors.json]

For each environment, actor kind and number of actors: a real Sebulba run (`sebulba.train`) of
`experiments/configs/android_common.py` (reward and agent of the launcher config: the bundled
phone CLIP, the cnn torso), stopped after `--updates` updates. "android" is android_env on the
launcher simulator (8 environments per actor, 480x256 screenshots); "host" the JAX launcher
stepped on the host (16 per actor). Frames/s is the learner's own measure (frames consumed
per second between two logs): `fps_steady` is the frames of the updates after the first
`--skip` + 3 per actor over their time (the first include the actors' start and compilation,
and the rollouts that waited for the learner meanwhile, up to 2 per actor), `fps_median` the
median of the per-update figures there. Also the run's wall clock and the time outside the
learner's loop (building the first batch and compiling before it, closing after it).
Prints JSON with the commit, the machine and the load average.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from experiments import sebulba  # noqa: E402
from experiments.configs import android_common  # noqa: E402


def _config(env: str, kind: str, actors: int, updates: int):
  config = android_common.get_config("host" if env == "host" else None)
  config.sebulba.update(actors=kind, num_actors=actors, log_every_updates=1)
  config.sebulba.checkpoint_every_updates = 10**6
  frames = config.sebulba.envs_per_actor * config.unroll_length
  config.total_frames = frames * updates * 100  # the schedule's horizon: far beyond the run
  return config


def measure(env: str, kind: str, actors: int, updates: int, skip: int) -> dict:
  config = _config(env, kind, actors, updates)
  start = time.perf_counter()
  with tempfile.TemporaryDirectory() as workdir:
    _, rows = sebulba.train(config, workdir, stop_after_updates=updates)
  wall = time.perf_counter() - start
  frames = config.sebulba.envs_per_actor * config.unroll_length  # per update = per log
  fps = [r["fps"] for r in rows[skip:]]
  seconds = [frames / r["fps"] for r in rows]
  return {
    "env": env,
    "actors": kind,
    "num_actors": actors,
    "envs_per_actor": config.sebulba.envs_per_actor,
    "frames_per_update": frames,
    "updates": len(rows),
    "updates_measured": len(fps),
    "fps_median": float(np.median(fps)),
    "fps_steady": len(fps) * frames / sum(seconds[skip:]),  # frames over time, after skip
    "wall_s": wall,
    "outside_learner_loop_s": wall - sum(seconds),
    "policy_lag": float(np.mean([r["policy_lag"] for r in rows[skip:]])),
    "load_average_after": os.getloadavg()[0],
  }


def _commit() -> str:
  out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
  return out.stdout.strip()


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--kinds", default="processes", help="comma-separated: threads,processes,ray")
  p.add_argument("--actors", default="1,2,4")
  p.add_argument("--envs", default="android,host")
  p.add_argument("--updates", type=int, default=60)
  p.add_argument(
    "--skip", type=int, default=4, help="updates left out, plus 3 per actor (start-up, backlog)"
  )
  p.add_argument("--out", default=None)
  args = p.parse_args()
  results = {
    "meta": {
      "commit": _commit(),
      "cpu_count": os.cpu_count(),
      "machine": platform.machine(),
      "load_average_before": os.getloadavg()[0],
    },
    "runs": [],
  }
  for env in args.envs.split(","):
    for kind in args.kinds.split(","):
      for n in (int(a) for a in args.actors.split(",")):
        results["runs"].append(measure(env, kind, n, args.updates, args.skip + 3 * n))
        print(json.dumps(results["runs"][-1]), file=sys.stderr, flush=True)
  print(json.dumps(results, indent=1))
  if args.out:
    pathlib.Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
  main()
