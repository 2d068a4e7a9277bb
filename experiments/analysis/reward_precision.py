"""The reward's precision at online base rates: one run's reward on three fixed datasets.

  python -m experiments.analysis.reward_precision --run=runs/sweeps/lift_floor/bundled/seeds_0_1_2 \
      --out=docs/lift/reward_precision.json

The offline datasets of `experiments.analysis.offline_pr` are oracle-heavy (a third or more of the
frames are successes), while an agent's own frames hold few and it seeks whatever fires the
reward, so offline precision overstates online precision. This scores the run's reward (its
config: CLIP, negatives, temperature, threshold) on frames of the run's own environment from

  oracle_mix: 60% scripted oracle / 40% random episodes (the offline_pr recipe),
  random_walk: a uniformly random policy (few positives),
  agent: the run's final policy, acting as in training (episodes end when the VLM fires),

for each goal pool (train, held-out), and reports per dataset the base rate, AP, and
precision and recall at the run's threshold. `--run` is an `experiments.train` workdir or a
sweep group (`experiments.sweep`; `--seed` picks the run, default the group's first).
"""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags, logging
from tqdm import tqdm

from experiments import run_io
from experiments.analysis import runs
from experiments.pretraining import clip_data
from vlm_rewards import evaluation

_RUN = flags.DEFINE_string("run", None, "A training workdir or a sweep group folder.")
_SEED = flags.DEFINE_integer("seed", None, "The run of a sweep group (default: its first).")
_OUT = flags.DEFINE_string("out", None, "Where to write the JSON (default: <run>/...).")
_ENVS = flags.DEFINE_integer("num_envs", 64, "Episodes per dataset and goal pool.")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace an existing --out.")
_THRESHOLD = flags.DEFINE_float("threshold", None, "Score at this beta (default: the run's).")
_EXTRA = flags.DEFINE_bool(
  "extra_negatives", True, "Keep the run's reward.extra_negatives (--noextra_negatives: drop)."
)


def _oracle_mix(run, pool_name: str, num_envs: int, seed: int):
  trainer = run.trainer
  data = clip_data.policy_frames(trainer.env, num_envs, 1, seed, pool_name == "heldout", 0.6)
  return evaluation.embed_frames(trainer.reward_model.clip, data.frames), data.goal, data.success


def score(run, emb, goals, success) -> dict:
  """`evaluation.summary_at_threshold` of the run's reward on these frames."""
  p = np.asarray(run.trainer.reward_model.goal_probability(jnp.asarray(emb), jnp.asarray(goals)))
  return evaluation.summary_at_threshold(p, success, run.config.reward.threshold)


def measure(run, params, num_envs: int = 64, seed: int = 0) -> dict:
  out = {"threshold": run.config.reward.threshold}
  pools = run.trainer.env.goal_pools
  bar = tqdm(total=3 * len(pools), desc="reward precision", unit="dataset")
  for pool, name in enumerate(pools):
    key = jax.random.fold_in(jax.random.PRNGKey(seed), pool)
    rows = {"oracle_mix": score(run, *_oracle_mix(run, name, num_envs, seed + pool))}
    bar.update()
    for dataset, random_policy in (("random_walk", True), ("agent", False)):
      data = runs.policy_rollout(
        run.trainer, params, run.reward_params, key, num_envs, pool, random_policy, "image_emb"
      )
      rows[dataset] = score(run, *jax.device_get(data))
      bar.update()
    out[name] = rows
  bar.close()
  return out


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it reads at INFO
  if _RUN.value is None:
    raise app.UsageError("--run is required: a training workdir or a sweep group folder.")
  run_dir = pathlib.Path(_RUN.value)
  out = pathlib.Path(_OUT.value or run_dir / "reward_precision.json")
  run_io.refuse_overwrite(out, _OVERWRITE.value)
  overrides = {} if _EXTRA.value else {"extra_negatives": ()}
  if _THRESHOLD.value is not None:
    overrides["threshold"] = _THRESHOLD.value
  run, params = runs.load_policy(run_dir, _SEED.value, overrides)
  result = {
    "run": str(run_dir),
    "seed": _SEED.value,
    "reward_overrides": overrides,
    **measure(run, params, _ENVS.value),
  }
  out.parent.mkdir(parents=True, exist_ok=True)
  out.write_text(json.dumps(result, indent=2) + "\n")
  for pool in run.trainer.env.goal_pools:
    for dataset, row in result[pool].items():
      print(pool, dataset, row)


if __name__ == "__main__":
  app.run(main)
