"""Frames/s of the agent's forward pass and full learner update, for each torso.

  python -m benchmarks.agent_throughput [--torsos cnn,clip_embedding] [--size 64] ...

For each torso it times, after compilation, on random inputs:
  act     `step` on [B] inputs (the acting path, one env step for B envs);
  unroll  `unroll` on [T+1, B] inputs (the learner's forward pass);
  update  the full V-trace update (forward, backward, clipping, Adam), state donated.
Frames are env frames consumed: B per `act`, T*B per `unroll` and `update`. Prints JSON;
`--out benchmarks/results/agent_throughput.json` stores it under `runs[--label]` (others kept).
Run from the repository root. The load average is recorded: on a shared machine it matters.
"""

import argparse
import json
import os
import pathlib
import platform
import time

import jax
import jax.numpy as jnp

from agents import impala
from agents.networks import TORSOS, AgentInput, NetworkConfig, make_network

RESULTS = pathlib.Path(__file__).parent / "results" / "agent_throughput.json"


def parse_args():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--torsos", default=",".join(TORSOS))
  p.add_argument("--size", type=int, default=64, help="frame height and width")
  p.add_argument("--num_steps", type=int, default=20, help="T, unroll length")
  p.add_argument("--batch", type=int, default=32, help="B, environments")
  p.add_argument("--emb_dim", type=int, default=512, help="CLIP embedding size D")
  p.add_argument("--hidden_size", type=int, default=256)
  p.add_argument("--lstm_size", type=int, default=256)
  p.add_argument("--num_actions", type=int, default=8)
  p.add_argument("--goal_conditioning", default="concat")
  p.add_argument("--dtype", default="float32")
  p.add_argument("--label", default="default", help="key of this run in the results file")
  p.add_argument("--min_time", type=float, default=2.0, help="seconds timed per measurement")
  p.add_argument(
    "--out",
    default=None,
    help=f"results JSON to update, e.g. {RESULTS.relative_to(RESULTS.parents[2])} (default: "
    "print only, so that a trial run never rewrites the tracked figures)",
  )
  return p.parse_args()


def random_inputs(key, lead_shape, size, emb_dim):
  k_pix, k_img, k_goal = jax.random.split(key, 3)
  unit = lambda x: x / jnp.linalg.norm(x, axis=-1, keepdims=True)
  return AgentInput(
    pixels=jax.random.randint(k_pix, lead_shape + (size, size, 3), 0, 256).astype(jnp.uint8),
    image_emb=unit(jax.random.normal(k_img, lead_shape + (emb_dim,))),
    goal_emb=unit(jax.random.normal(k_goal, lead_shape + (emb_dim,))),
    reset=jnp.zeros(lead_shape, bool),
  )


def time_calls(fn, args_fn, min_time):
  """Compiles with one call, then times calls until `min_time`; returns (compile s, s/call)."""
  start = time.perf_counter()
  jax.block_until_ready(fn(*args_fn()))
  compile_s = time.perf_counter() - start
  calls, start = 0, time.perf_counter()
  while calls < 2 or time.perf_counter() - start < min_time:
    jax.block_until_ready(fn(*args_fn()))
    calls += 1
  return compile_s, (time.perf_counter() - start) / calls


def random_trajectory(key, network, args):
  t, b = args.num_steps, args.batch
  ks = jax.random.split(key, 3)
  return impala.Trajectory(
    inputs=random_inputs(ks[0], (t + 1, b), args.size, args.emb_dim),
    actions=jax.random.randint(ks[1], (t, b), 0, args.num_actions),
    rewards=jnp.zeros((t, b)),
    discounts=jnp.full((t, b), 0.99),
    behaviour_logits=jax.random.normal(ks[2], (t, b, args.num_actions)),
    initial_core_state=network.initial_state(b),
  )


def bench_torso(torso, args):
  config = NetworkConfig(
    num_actions=args.num_actions,
    torso=torso,
    hidden_size=args.hidden_size,
    lstm_size=args.lstm_size,
    goal_conditioning=args.goal_conditioning,
    dtype=args.dtype,
  )
  network = make_network(config)
  traj = random_trajectory(jax.random.key(0), network, args)
  step_inputs = jax.tree.map(lambda x: x[0], traj.inputs)
  params = jax.jit(network.init)(jax.random.key(1), step_inputs)
  learner = impala.ImpalaConfig()
  optimizer = impala.make_optimizer(learner)
  holder = {"state": impala.init_learner_state(params, optimizer)}
  update = jax.jit(impala.make_update(network, optimizer, learner), donate_argnums=0)

  def run_update(traj):
    holder["state"], metrics = update(holder["state"], traj)
    return metrics

  core = network.initial_state(args.batch)
  frames = args.num_steps * args.batch
  measured = {
    "act": (jax.jit(network.step), lambda: (params, step_inputs, core), args.batch),
    "unroll": (jax.jit(network.unroll), lambda: (params, traj.inputs, core), frames),
    "update": (run_update, lambda: (traj,), frames),
  }
  result = {"num_params": sum(x.size for x in jax.tree.leaves(params))}
  for name, (fn, args_fn, n) in measured.items():
    compile_s, per_call = time_calls(fn, args_fn, args.min_time)
    result[f"{name}_frames_per_s"] = round(n / per_call, 1)
    result[f"{name}_ms_per_call"] = round(1e3 * per_call, 2)
    result[f"{name}_first_call_s"] = round(compile_s, 2)
  return result


def main():
  args = parse_args()
  report = {
    "jax": jax.__version__,
    "backend": jax.default_backend(),
    "devices": len(jax.devices()),
    "cpu_count": os.cpu_count(),
    "machine": platform.machine(),
    "load_average_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    "settings": {k: v for k, v in vars(args).items() if k not in ("out", "torsos", "label")},
    "torsos": {},
  }
  for torso in args.torsos.split(","):
    report["torsos"][torso] = bench_torso(torso, args)
    print(json.dumps({torso: report["torsos"][torso]}), flush=True)
  report["load_average_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
  if args.out:
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stored = json.loads(out.read_text()) if out.exists() else {}
    runs = {**stored.get("runs", {}), args.label: report}
    out.write_text(json.dumps({"benchmark": "agent_throughput", "runs": runs}, indent=2) + "\n")
  print(json.dumps(report, indent=2))


if __name__ == "__main__":
  main()
