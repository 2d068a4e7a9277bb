"""Environment throughput (the Playhouse, and the phone launcher at its 120x64 screen): frames/s
of the trainer's env path (`envs.wrappers.transition`: step,
or reset on the step after an episode end, then one render and the ground-truth measures;
random actions, episodes ending on success or the time limit), jitted, vmapped over a batch
and scanned over a chunk of steps per call; plus a profile that times the dynamics (with
resets) and the renderer separately, and memory per environment.

Usage: python -m benchmarks.env_throughput [--quick] [--batches 1,64,1024] [--sizes 64,128]
       [--envs playhouse,launcher]
`--quick` measures batch 1024 of each env (Playhouse at 64x64) and their ratio in one run.
Prints JSON; `--out benchmarks/results/env_throughput.json` stores it.
"""

import argparse
import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np

from envs import wrappers
from envs.launcher import Launcher
from envs.playhouse import Playhouse, PlayhouseConfig

CHUNK = 32  # steps per compiled call


def _time(fn, args, min_seconds: float) -> tuple[float, float]:
  """(wall seconds, process CPU seconds) per call, after a compile + warm-up call.

  CPU seconds matter on a shared machine: wall time there depends on other users' load.
  """
  jax.block_until_ready(fn(*args))
  calls, start, cpu = 0, time.perf_counter(), time.process_time()
  while True:
    jax.block_until_ready(fn(*args))
    calls += 1
    elapsed = time.perf_counter() - start
    if elapsed >= min_seconds:
      return elapsed / calls, (time.process_time() - cpu) / calls


def _vary(env, state, i):
  """A different screen per render call: turn the Playhouse camera, flip launcher pages."""
  if isinstance(env, Launcher):
    return state.replace(page=(state.page + i) % env.config.num_pages)
  return state.replace(heading=(state.heading + i) % env.config.num_headings)


def _programs(env, batch: int):
  def full(key, state, needs_reset):
    def body(carry, k):
      state, needs_reset, _ = carry
      k_act, k_step = jax.random.split(k)
      actions = jax.random.randint(k_act, (batch,), 0, env.num_actions)
      tr = wrappers.transition(env, k_step, state, actions, needs_reset)
      return (
        tr.state,
        wrappers.episode_ends(needs_reset, tr.success, tr.truncated),
        tr.pixels,
      ), None

    pixels = jnp.zeros((batch,) + env.observation_shape, jnp.uint8)
    return jax.lax.scan(body, (state, needs_reset, pixels), jax.random.split(key, CHUNK))[0]

  def dynamics(key, state, needs_reset):
    def body(carry, k):
      state, needs_reset = carry
      k_act, k_step = jax.random.split(k)
      actions = jax.random.randint(k_act, (batch,), 0, env.num_actions)
      state = wrappers.advance(env, k_step, state, actions, needs_reset)
      success = jax.vmap(lambda s: env.success(s, s.goal))(state)
      done = wrappers.episode_ends(needs_reset, success, jax.vmap(env.truncated)(state))
      return (state, done), None

    return jax.lax.scan(body, (state, needs_reset), jax.random.split(key, CHUNK))[0]

  def render(state, pixels):
    def body(carry, i):
      return jax.vmap(env.render)(_vary(env, state, i)), None

    return jax.lax.scan(body, pixels, jnp.arange(CHUNK))[0]

  return jax.jit(full), jax.jit(dynamics), jax.jit(render)


def measure(name: str, size: int, batch: int, min_seconds: float) -> dict:
  env = Launcher() if name == "launcher" else Playhouse(PlayhouseConfig(height=size, width=size))
  key = jax.random.PRNGKey(0)
  first = jax.jit(lambda k: wrappers.reset(env, k, batch))(key)
  state, pixels, needs_reset = first.state, first.pixels, jnp.zeros(batch, bool)
  full, dynamics, render = _programs(env, batch)
  frames = batch * CHUNK
  t_full, cpu_full = _time(full, (key, state, needs_reset), min_seconds)
  t_dyn, cpu_dyn = _time(dynamics, (key, state, needs_reset), min_seconds / 2)
  t_render, cpu_render = _time(render, (state, pixels), min_seconds / 2)
  one_state = jax.tree.map(lambda x: x[0], state)
  state_bytes = sum(x.nbytes for x in jax.tree.leaves(one_state))
  height, width, _ = env.observation_shape
  return {
    "env": name,
    "resolution": f"{height}x{width}",
    "batch": batch,
    "frames_per_s": frames / t_full,
    "frames_per_cpu_s": frames / cpu_full,  # x cores = frames/s on an idle machine
    "load_average_1min": os.getloadavg()[0],
    "dynamics_reset_frames_per_s": frames / t_dyn,
    "render_frames_per_s": frames / t_render,
    "render_share_of_cpu": cpu_render / (cpu_render + cpu_dyn),
    "state_bytes_per_env": state_bytes,
    "obs_bytes_per_env": height * width * 3 + 4,
  }


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--batches", default="1,64,1024")
  parser.add_argument("--sizes", default="64,128")
  parser.add_argument("--seconds", type=float, default=2.0, help="min timing per program")
  parser.add_argument("--envs", default="playhouse,launcher")
  parser.add_argument("--quick", action="store_true", help="batch 1024 (Playhouse at 64x64) only")
  parser.add_argument(
    "--out",
    default=None,
    help="results JSON to write (default: print only; benchmarks/results/env_throughput.json "
    "holds the tracked figures)",
  )
  args = parser.parse_args()
  batches = [1024] if args.quick else [int(b) for b in args.batches.split(",")]
  sizes = [64] if args.quick else [int(s) for s in args.sizes.split(",")]
  names = args.envs.split(",")
  results = [
    measure(name, s, b, args.seconds)
    for name in names
    for s in (sizes if name == "playhouse" else [0])
    for b in batches
  ]
  report = {
    "benchmark": "env_throughput",
    "chunk_steps_per_call": CHUNK,
    "backend": jax.default_backend(),
    "devices": len(jax.devices()),
    "cpu_count": os.cpu_count(),
    "machine": platform.machine(),
    "jax": jax.__version__,
    "results": results,
  }
  by_env = {
    (r["env"], r["batch"]): r
    for r in results
    if r["env"] == "launcher" or r["resolution"] == "64x64"
  }
  ratios = {
    f"launcher_over_playhouse64_batch{b}": by_env[("launcher", b)]["frames_per_s"]
    / by_env[("playhouse", b)]["frames_per_s"]
    for b in batches
    if ("launcher", b) in by_env and ("playhouse", b) in by_env
  }
  if ratios:
    report["ratios"] = ratios
  print(json.dumps(report, indent=2))
  if args.out:
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
      json.dump(report, f, indent=2)
  return np.asarray(0)


if __name__ == "__main__":
  main()
