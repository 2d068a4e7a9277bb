"""One rule for every model's reward threshold (beta), from offline frames of the run's env.

  python -m experiments.analysis.calibrate --config=experiments/configs/playhouse_lift.py \
      --models=XS=runs/pretrain_clip/XS/model,S=runs/pretrain_clip/S/model \
      --out=runs/lift_sizes/calibration.json

The rule: beta is the smallest of 0.1, 0.2, ..., 0.9 at which the run's reward (its config:
negatives, extra negatives, temperature; only the CLIP changes) on frames of *train* goals in
the config's own house

  - has precision >= 0.99 (`--min_precision`) on oracle_mix frames (the offline_pr recipe: 60%
    scripted-oracle / 40% random episodes; a third or more are successes) and on random_walk
    frames (a uniformly random policy: few successes, the base rate an agent starts from;
    no fire there at all also passes), and
  - fires on <= 1% (`--max_hard_fire`) of the hard negatives of both: frames where the goal's
    target is in view and within reach but the goal is not achieved (Lift: close, not held;
    for Find such frames are successes, so the condition is empty).

Where no beta meets the rule the strictest (0.9) is taken and `rule_met` is false. Held-out
goals are never used to choose; their AP and precision-recall curve on oracle_mix frames (Fig.
4 left: one curve per model, `<out>.png`) are reported beside the choice.
"""

import json
import pathlib

import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import app, flags
from ml_collections import config_flags
from tqdm import tqdm

from envs.playhouse.goals import goal_compositions
from experiments import run_io
from experiments import trainer as trainer_lib
from experiments.pretraining import clip_data
from vlm_rewards import evaluation

_CONFIG = config_flags.DEFINE_config_file("config", None, "The run's config (its reward).")
_MODELS = flags.DEFINE_string("models", "S=bundled", "comma-separated name=path (or 'bundled')")
_OUT = flags.DEFINE_string("out", None, "Where to write the JSON (a PNG of the curves beside it).")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace an existing --out.")
_SEED = flags.DEFINE_integer("seed", 1234, "Dataset seed.")
_ENVS = flags.DEFINE_integer("num_envs", 64, "Episodes per rollout.")
_ROLLOUTS = flags.DEFINE_integer("rollouts", 4, "Rollouts per goal pool.")
_MIN_PRECISION = flags.DEFINE_float("min_precision", 0.99, "The rule's precision floor.")
_MAX_HARD_FIRE = flags.DEFINE_float("max_hard_fire", 0.01, "The rule's hard-negative fire cap.")


def hard_negatives(env, data: clip_data.Rollout) -> np.ndarray:
  """bool[F]: the goal's target is in view and within reach, and the goal is not achieved."""
  target, _ = goal_compositions(env.goal_tables, data.goal)
  near = np.any(data.facts == (clip_data.NEAR + target)[:, None], axis=1)
  return near & ~data.success


def probabilities(reward, data: clip_data.Rollout) -> np.ndarray:
  """Eq. 1 of each frame's goal under `reward` (a `RewardModel`)."""
  emb = evaluation.embed_frames(reward.clip, data.frames)
  return np.asarray(reward.goal_probability(jnp.asarray(emb), jnp.asarray(data.goal)))


def calibrate(config, models, num_envs, rollouts, seed, min_precision, max_hard_fire):
  """({model name: the choice, its table and held-out figures}, {name: held-out PRCurve})."""
  env = trainer_lib.make_trainer(config).env
  if not hasattr(env, "goal_tables"):
    raise ValueError(
      f"--config's env ({config.env.name}) is not the Playhouse: the calibration reads goal "
      "targets and frame facts from the Playhouse state (experiments.pretraining.clip_data)."
    )
  # (held-out goals, oracle share) of each frame set: oracle mix, random walk, held-out mix
  kinds = {"oracle_mix": (False, 0.6), "random_walk": (False, 0.0), "heldout": (True, 0.6)}
  frames = {
    name: clip_data.policy_frames(env, num_envs, rollouts, seed + i, *kind)
    for i, (name, kind) in enumerate(tqdm(kinds.items(), desc="frames", unit="set"))
  }
  held = frames.pop("heldout")
  train = frames
  hard = {name: hard_negatives(env, data) for name, data in train.items()}
  results, curves = {}, {}
  for name, path in tqdm(models, desc="models", unit="model"):
    model_config = ml_collections.ConfigDict(config.to_dict())
    model_config.reward.model = path
    reward = trainer_lib.make_trainer(model_config).reward_model
    scored = {k: (probabilities(reward, d), d.success, hard[k]) for k, d in train.items()}
    p_held = probabilities(reward, held)
    choice = evaluation.threshold_by_rule(scored, min_precision, max_hard_fire)
    train_curve = evaluation.pr_curve(*scored["oracle_mix"][:2])
    curves[name] = evaluation.pr_curve(p_held, held.success)
    results[name] = {
      "model": path,
      **choice,
      "train_ap": round(evaluation.average_precision(train_curve), 4),
      "heldout_ap": round(evaluation.average_precision(curves[name]), 4),
      "heldout_at_beta": evaluation.summary_at_threshold(p_held, held.success, choice["beta"]),
    }
  return results, curves


def main(argv):
  del argv
  if _CONFIG.value is None:
    raise app.UsageError("--config is required: the training config whose reward to calibrate.")
  if _OUT.value is None:
    raise app.UsageError("--out is required: where to write the JSON.")
  out = pathlib.Path(_OUT.value)
  run_io.refuse_overwrite(out, _OVERWRITE.value)
  models = run_io.parse_models(_MODELS.value)
  results, curves = calibrate(
    _CONFIG.value,
    models,
    _ENVS.value,
    _ROLLOUTS.value,
    _SEED.value,
    _MIN_PRECISION.value,
    _MAX_HARD_FIRE.value,
  )
  rule = {"min_precision": _MIN_PRECISION.value, "max_hard_fire": _MAX_HARD_FIRE.value}
  out.parent.mkdir(parents=True, exist_ok=True)
  result = {"rule": rule, "seed": _SEED.value, "models": results}
  out.write_text(json.dumps(result, indent=2) + "\n")
  evaluation.plot_pr_curves(
    curves, out.with_suffix(".png"), title="Held-out goals, oracle-mix frames"
  )
  for name, row in results.items():
    print(name, {k: row[k] for k in ("beta", "rule_met", "train_ap", "heldout_ap")})


if __name__ == "__main__":
  app.run(main)
