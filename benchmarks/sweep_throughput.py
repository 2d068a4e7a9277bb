"""Frames/s of S seeds vmapped in one compiled call against the same S seeds run one by one.

  python benchmarks/sweep_throughput.py                                 # the Lift config
  python benchmarks/sweep_throughput.py --config experiments/configs/playhouse_find.py --seeds 3

One process, timed call by call after a warm-up call (`jax.block_until_ready`), interleaved
repeat by repeat, medians: `vmapped` is `experiments.sweep.SeedsRun.chunk` (S runs of the
config in one call); `sequential` is `experiments.train.Run.chunk` called once per seed (the
same S runs, one compiled function reused). Both count S x the config's frames per call.
Prints JSON; `--out FILE` also writes it.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import jax

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from experiments import sweep as sweep_lib  # noqa: E402
from experiments import train as train_lib  # noqa: E402


def parse_args():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--config", default="experiments/configs/playhouse_lift.py")
  p.add_argument("--seeds", type=int, default=3)
  p.add_argument("--repeats", type=int, default=5)
  p.add_argument("--out", default=None)
  return p.parse_args()


def load_config(path: str):
  spec = importlib.util.spec_from_file_location("bench_config", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  config = module.get_config()
  config.quiet = True
  return config


def main():
  args = parse_args()
  config = load_config(args.config)
  seeds = tuple(range(args.seeds))
  single = train_lib.Run(config)
  vmapped = sweep_lib.SeedsRun(config, seeds)
  states = [single.with_seed(s).initial_state() for s in seeds]
  stacked = vmapped.initial_state()
  # Warm-up (compilation) calls, not timed.
  states = [single.chunk(single.reward_params, s)[0] for s in states]
  stacked = vmapped.chunk(vmapped.reward_params, stacked)[0]
  jax.block_until_ready((states, stacked))
  times = {"sequential": [], "vmapped": []}
  for _ in range(args.repeats):
    tick = time.perf_counter()
    states = [single.chunk(single.reward_params, s)[0] for s in states]
    jax.block_until_ready(states)
    times["sequential"].append(time.perf_counter() - tick)
    tick = time.perf_counter()
    stacked = vmapped.chunk(vmapped.reward_params, stacked)[0]
    jax.block_until_ready(stacked)
    times["vmapped"].append(time.perf_counter() - tick)
  frames = len(seeds) * single.frames_per_call
  fps = {k: frames / statistics.median(v) for k, v in times.items()}
  result = {
    "config": args.config,
    "seeds": len(seeds),
    "frames_per_call_all_seeds": frames,
    "frames_per_s": {k: round(v, 1) for k, v in fps.items()},
    "vmapped_over_sequential": round(fps["vmapped"] / fps["sequential"], 3),
    "machine": f"{platform.processor() or platform.machine()}, {jax.devices()[0].device_kind}",
    "load_average_1min": round(os.getloadavg()[0], 2),
  }
  print(json.dumps(result, indent=2))
  if args.out:
    pathlib.Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
  main()
