"""Frames/s of the trainer's compiled step against the same parts called step by step from Python.

  python benchmarks/train_throughput.py                         # the main job, bundled CLIP
  python benchmarks/train_throughput.py --model /tmp/tinyclip --repeats 3 --label tiny

One process, the main job's config (`experiments/configs/playhouse_find.py`, overridable), times
interleaved repeat by repeat (warm-up calls excluded, `jax.block_until_ready`, medians):

* fused: `Run.chunk`, the one compiled call of `updates_per_call` updates, each of
  `num_envs x unroll_length` frames (policy, vmapped env step, render, CLIP reward, V-trace);
* unfused: the same chunk driven from Python over the trainer's public pieces. Per env step,
  separately jitted calls of the agent's `act`, `envs.wrappers.advance` (step or reset,
  select), `envs.wrappers.observe` (render, ground truth, time limit; vmapped), the reward
  model's `score`, and `trainer.finish_step` (episode rules, the agent's next input); after
  `unroll_length` steps the outputs are stacked (`jnp.stack`), `trainer.trajectory` builds the
  trajectory and a separately jitted agent `update` is applied. `unfused` waits for each step's
  outputs (the host sync a Python loop reading rewards / dones has); `unfused_async` does not
  (dispatch only, the most favourable unfused loop). Both compute the same chunk as `fused`:
  checked from the same initial state, the differences are in the output;
* breakdown: each part alone, jitted separately, as frames/s (env step + render, CLIP reward,
  policy, learner update), to show the bottleneck;
* end to end: a projection of the whole main job's wall clock (compile, chunks, periodic
  evaluation, checkpoints) from measured parts, and peak memory (max RSS; device memory stats
  where the backend has them).

Prints JSON; `--out benchmarks/results/train_throughput.json` stores it under `runs[--label]`
(other labels kept). Run from the repository root.
"""

import argparse
import functools
import json
import os
import pathlib
import platform
import resource
import statistics
import sys
import tempfile
import time

import jax
import jax.numpy as jnp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from envs import wrappers  # noqa: E402
from experiments import run_io  # noqa: E402
from experiments import train as train_lib  # noqa: E402
from experiments import trainer as trainer_lib  # noqa: E402
from experiments.configs import playhouse_find  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "train_throughput.json"


def parse_args():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--model", default=None, help="CLIP folder (default: the config's, bundled)")
  p.add_argument("--num_envs", type=int, default=None)
  p.add_argument("--unroll_length", type=int, default=None)
  p.add_argument("--updates_per_call", type=int, default=None)
  p.add_argument("--repeats", type=int, default=3, help="interleaved timed repeats")
  p.add_argument("--label", default=None, help="key in the results file (default: the model)")
  p.add_argument(
    "--out",
    default=None,
    help=f"results JSON to update, e.g. {RESULTS.relative_to(RESULTS.parents[2])} (default: "
    "print only, so that a trial run never rewrites the tracked figures)",
  )
  return p.parse_args()


def make_config(args):
  config = playhouse_find.get_config()
  for name in ("num_envs", "unroll_length", "updates_per_call"):
    if getattr(args, name) is not None:
      setattr(config, name, getattr(args, name))
  if args.model is not None:
    config.reward.model = args.model
  config.quiet = True
  return config


# ----------------------------------------------------------------------------- the unfused loop


def _step_keys(base_key, update, length):
  """The per-step keys of `trainer.rollout` [T], and each split as `actor_step` splits it."""
  keys = jax.random.split(jax.random.fold_in(base_key, update), length)
  return keys, jax.vmap(jax.random.split)(keys)


def _stack(trees):
  return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


class Unfused:
  """`trainer.train_chunk` as a Python loop over the trainer's public pieces, jitted apart."""

  def __init__(self, run: train_lib.Run):
    trainer = self.trainer = run.trainer
    self.length = run.config.unroll_length
    self.updates = run.config.updates_per_call
    self.keys = jax.jit(_step_keys, static_argnums=2)
    self.act = jax.jit(trainer.agent.act)
    self.advance = jax.jit(functools.partial(wrappers.advance, trainer.env))
    self.observe = jax.jit(jax.vmap(functools.partial(wrappers.observe, trainer.env)))
    self.score = jax.jit(trainer.reward_model.score)
    self.finish = jax.jit(functools.partial(trainer_lib.finish_step, trainer))
    self.trajectory = jax.jit(trainer_lib.trajectory)
    self.update_fn = jax.jit(trainer.agent.update)
    self.rollout_metrics = jax.jit(trainer_lib.rollout_metrics)
    self.chunk_metrics = jax.jit(trainer_lib.chunk_metrics)

  def actor_step(self, params, reward_params, actor, keys):
    k_act, k_env = keys[0], keys[1]
    action, core_state = self.act(params, k_act, actor.inputs, actor.core_state)
    env_state = self.advance(k_env, actor.env_state, action.actions, actor.needs_reset)
    tr = self.observe(env_state)
    score = self.score(reward_params, tr.pixels, tr.goal)
    return self.finish(reward_params, actor, tr, action.actions, action.logits, core_state, score)

  def one_update(self, reward_params, state, sync: bool):
    _, pairs = self.keys(state.key, state.update, self.length)
    actor, inputs, outs = state.actor, [], []
    params = self.trainer.agent.acting_params(state.agent)
    for step in range(self.length):
      actor, out = self.actor_step(params, reward_params, actor, pairs[step])
      if sync:
        jax.block_until_ready(out)
      inputs.append(actor.inputs)
      outs.append(out)
    outs = _stack(outs)
    traj = self.trajectory(state.actor.inputs, state.actor.core_state, _stack(inputs), outs)
    agent, metrics = self.update_fn(state.agent, traj)
    metrics = {**metrics, **self.rollout_metrics(outs)}
    state = trainer_lib.TrainState(agent, actor, state.key, state.update + 1)
    return state, metrics, traj

  def chunk(self, reward_params, state, sync: bool = True):
    metrics = []
    for _ in range(self.updates):
      state, m, self.last_traj = self.one_update(reward_params, state, sync)
      metrics.append(m)
    return state, self.chunk_metrics(_stack(metrics))


# ----------------------------------------------------------------------------- timing


def _timed(fn):
  start = time.perf_counter()
  jax.block_until_ready(fn())
  return time.perf_counter() - start


class Chain:
  """A stateful timed call: each call consumes the state the previous call returned."""

  def __init__(self, step, state):
    self.step, self.state = step, state

  def __call__(self):
    self.state, metrics = self.step(self.state)
    return self.state, metrics


def _repeat_call(fn, args, calls):
  """`calls` calls of a jitted part on fixed inputs (dispatched back to back)."""

  def run():
    return [fn(*args) for _ in range(calls)]

  return run


def _max_abs_diff(a, b) -> float:
  diffs = jax.tree.map(
    lambda x, y: float(jnp.max(jnp.abs(jnp.asarray(x, jnp.float32) - jnp.asarray(y, jnp.float32)))),
    a,
    b,
  )
  return max(jax.tree.leaves(diffs), default=0.0)


def equivalence(run, unfused):
  """Runs one fused and one unfused chunk from the same initial state and compares them.

  Also the warm-up (compilation) of both; returns the report and the two end states.
  """
  start = time.perf_counter()
  fused_state, fused_m = jax.block_until_ready(run.chunk(run.reward_params, run.initial_state()))
  fused_compile_s = time.perf_counter() - start
  start = time.perf_counter()
  unfused_state, unfused_m = jax.block_until_ready(
    unfused.chunk(run.reward_params, run.initial_state())
  )
  unfused_compile_s = time.perf_counter() - start
  env_equal = jax.tree.map(
    lambda x, y: bool(jnp.array_equal(x, y)),
    fused_state.actor.env_state,
    unfused_state.actor.env_state,
  )
  report = {
    "env_states_identical": all(jax.tree.leaves(env_equal)),
    "max_abs_diff_params": _max_abs_diff(fused_state.agent, unfused_state.agent),
    "max_abs_diff_metrics": _max_abs_diff(fused_m, unfused_m),
    "episodes_in_chunk": float(fused_m["episodes"]),
    "vlm_positives_in_chunk": float(fused_m["vlm_positives"]),
  }
  compile_s = {"fused_first_call_s": fused_compile_s, "unfused_first_chunk_s": unfused_compile_s}
  return report, compile_s, fused_state, unfused_state


def breakdown_parts(run, unfused, state):
  """Each part of one update alone, jitted separately: {name: (run, frames per run)}."""
  trainer, actor, cfg = run.trainer, state.actor, run.config
  batch, length = cfg.num_envs, cfg.unroll_length
  actions = jnp.zeros(batch, jnp.int32)
  key = jax.random.PRNGKey(1)

  env_step = jax.jit(functools.partial(wrappers.transition, trainer.env))
  render = jax.jit(jax.vmap(trainer.env.render))
  pixels = actor.inputs.pixels
  goals = jax.vmap(trainer.env.goal)(actor.env_state)
  params = trainer.agent.acting_params(state.agent)
  whole_step = jax.jit(functools.partial(trainer_lib.actor_step, trainer))
  parts = {
    "env_step_render": (env_step, (key, actor.env_state, actions, actor.needs_reset)),
    "env_step_only": (unfused.advance, (key, actor.env_state, actions, actor.needs_reset)),
    "render_only": (render, (actor.env_state,)),
    "clip_reward": (unfused.score, (run.reward_params, pixels, goals)),
    "policy_act": (unfused.act, (params, key, actor.inputs, actor.core_state)),
    "actor_step_whole": (whole_step, (params, run.reward_params, actor, key)),
  }
  timed = {
    name: (_repeat_call(fn, args, length), batch * length) for name, (fn, args) in parts.items()
  }
  traj = unfused.last_traj
  timed["learner_update"] = (
    _repeat_call(unfused.update_fn, (state.agent, traj), 1),
    batch * length,
  )
  for fn, _ in timed.values():
    _timed(fn)  # compile
  return timed


def measure(run, unfused, fused_state, unfused_state, repeats):
  """Interleaved repeats of every measurement; returns {name: [seconds, ...]} and frames."""
  clip = run.reward_params
  frames = run.frames_per_call
  chains = {
    "fused": Chain(lambda s: run.chunk(clip, s), fused_state),
    "unfused": Chain(lambda s: unfused.chunk(clip, s, sync=True), unfused_state),
    "unfused_async": Chain(lambda s: unfused.chunk(clip, s, sync=False), unfused_state),
  }
  parts = breakdown_parts(run, unfused, unfused_state)
  timed = {**{name: (chain, frames) for name, chain in chains.items()}, **parts}
  times = {name: [] for name in timed}
  for _ in range(repeats):
    for name, (fn, _) in timed.items():
      times[name].append(_timed(fn))
  counts = {name: n for name, (_, n) in timed.items()}
  return times, counts, chains["fused"].state


def end_to_end(run, state, fps, setup_s, fused_compile_s):
  """The main job's wall clock, projected from measured parts, and its frames/s."""
  cfg = run.config
  eval_first_s = _timed(lambda: run.eval_metrics(state))
  eval_s = _timed(lambda: run.eval_metrics(state))
  with tempfile.TemporaryDirectory() as workdir:
    checkpointer = run_io.Checkpointer(workdir, keep=cfg.checkpoints_to_keep)
    start = time.perf_counter()
    checkpointer.save(0, state)
    checkpointer.close()
    checkpoint_s = time.perf_counter() - start
  calls = run.num_calls
  evals = 2 + calls // cfg.eval_every_calls  # start (+ random policy), periodic, last, GIF
  checkpoints = calls // cfg.checkpoint_every_calls + 1
  total_frames = calls * run.frames_per_call
  train_s = total_frames / fps
  compile_s = fused_compile_s + eval_first_s - eval_s
  wall_s = setup_s + compile_s + train_s + evals * eval_s + checkpoints * checkpoint_s
  return {
    "total_frames": total_frames,
    "compiled_calls": calls,
    "setup_s": round(setup_s, 2),
    "first_call_s": round(fused_compile_s, 2),
    "training_s": round(train_s, 1),
    "eval_call_s": round(eval_s, 2),
    "eval_first_call_s": round(eval_first_s, 2),
    "evaluations": evals,
    "checkpoint_s": round(checkpoint_s, 2),
    "checkpoints": checkpoints,
    "projected_wall_clock_s": round(wall_s, 1),
    "projected_frames_per_s": round(total_frames / wall_s, 1),
  }


def memory():
  stats = jax.devices()[0].memory_stats()
  peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
  return {
    "max_rss_mb": round(peak_kb / 1024, 1),
    # None where the backend keeps no statistics (the CPU backend)
    "device_peak_bytes_in_use": (stats or {}).get("peak_bytes_in_use"),
  }


def summarise_times(times, counts):
  fps = {name: counts[name] / statistics.median(ts) for name, ts in times.items()}
  spread = {name: [round(counts[name] / t, 1) for t in ts] for name, ts in times.items()}
  return fps, spread


def ratios(times):
  """Unfused/fused time per repeat (interleaved pairs), and the median ratio."""
  out = {}
  for name in ("unfused", "unfused_async"):
    per_repeat = [u / f for u, f in zip(times[name], times["fused"], strict=True)]
    out[f"fused_over_{name}"] = round(statistics.median(per_repeat), 2)
    out[f"fused_over_{name}_per_repeat"] = [round(r, 2) for r in per_repeat]
  return out


NOTES = [
  "frames = num_envs x unroll_length env steps (each: policy, env step, render, CLIP reward).",
  "unfused: per env step 5 separately jitted calls of the trainer's public pieces (agent act; "
  "wrappers.advance; wrappers.observe vmapped: render, success, truncated; reward_model.score; "
  "trainer.finish_step), a host sync per step (jax.block_until_ready on the step's outputs, as "
  "a Python loop reading rewards/dones has), the outputs stacked with jnp.stack, then jitted "
  "trainer.trajectory, agent update and rollout_metrics. unfused_async: the same without the "
  "per-step sync (dispatch only).",
  "breakdown: each part jitted alone on num_envs environments, called unroll_length times "
  "back to back on fixed inputs (learner_update: once on a [T, B] trajectory), frames/s.",
  "end_to_end: projected from the measured fused frames/s, one evaluation (held-out + train "
  "goals), one checkpoint save, Run construction and the first (compiling) call; for the "
  "config as run (with --num_envs etc. overridden, evaluations and checkpoints are counted in "
  "compiled calls, so they scale with them). Throughput does not depend on the CLIP's weights "
  "(resets are computed for every env every step and selected), only on its architecture.",
  "2 shared cores: compare ratios from the same run (interleaved repeats), not absolute "
  "figures across runs; the load average is recorded.",
]


def main():
  args = parse_args()
  config = make_config(args)
  load_before = os.getloadavg()[0]
  start = time.perf_counter()
  try:
    run = train_lib.Run(config)
  except FileNotFoundError as e:
    sys.exit(f"{e}\nThe bundled CLIP is not built yet? Pass --model PATH (a CLIP folder).")
  setup_s = time.perf_counter() - start
  unfused = Unfused(run)
  check, compile_s, fused_state, unfused_state = equivalence(run, unfused)
  rss_after_fused_warmup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  times, counts, fused_state = measure(run, unfused, fused_state, unfused_state, args.repeats)
  fps, spread = summarise_times(times, counts)
  report = {
    "model": config.reward.model,
    "config": {
      "num_envs": config.num_envs,
      "unroll_length": config.unroll_length,
      "updates_per_call": config.updates_per_call,
      "frames_per_call": run.frames_per_call,
      "torso": config.agent.network.torso,
      "reward_source": config.reward.source,
      "repeats": args.repeats,
    },
    "frames_per_s": {k: round(v, 1) for k, v in fps.items() if k in ("fused", "unfused")},
    "frames_per_s_unfused_async": round(fps["unfused_async"], 1),
    **ratios(times),
    "breakdown_frames_per_s": {
      k: round(v, 1) for k, v in fps.items() if k not in ("fused", "unfused", "unfused_async")
    },
    "frames_per_s_per_repeat": spread,
    "end_to_end": end_to_end(
      run, fused_state, fps["fused"], setup_s, compile_s["fused_first_call_s"]
    ),
    "first_calls_s": {k: round(v, 2) for k, v in compile_s.items()},
    "equivalence": check,
    "memory": {"max_rss_mb_after_fused_warmup": round(rss_after_fused_warmup, 1), **memory()},
    "jax": jax.__version__,
    "backend": jax.default_backend(),
    "devices": len(jax.devices()),
    "cpu_count": os.cpu_count(),
    "machine": platform.machine(),
    "load_average_before": round(load_before, 2),
    "load_average_after": round(os.getloadavg()[0], 2),
    "notes": NOTES,
  }
  print(json.dumps(report, indent=2))
  if args.out:
    write(report, args.label or pathlib.Path(str(config.reward.model)).name, args.out)


def write(report, label, out):
  out = pathlib.Path(out)
  out.parent.mkdir(parents=True, exist_ok=True)
  stored = json.loads(out.read_text()) if out.exists() else {}
  stored.setdefault("runs", {})[label] = report
  out.write_text(json.dumps(stored, indent=2) + "\n")


if __name__ == "__main__":
  main()
