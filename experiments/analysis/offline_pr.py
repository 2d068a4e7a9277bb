"""Offline precision-recall of the CLIP binary reward (the analogue of Fig. 4, left).

  python -m experiments.analysis.offline_pr \
      [--models=bundled_S=bundled,XS=runs/pretrain_clip/XS/model,...]

The default scores the bundled CLIP only; the other sizes of the family are trained first
(`run_io.TRAIN_COMMAND`, one run per size).

A fixed, seeded dataset of trajectory frames (oracle and random policies, as in
`experiments.pretraining.clip_data`) from the default Playhouse, one dataset per goal family
(the house is built with that family only, so the task set and the negatives are that family's
goals) and per goal split (train goals, held-out goals). Each frame is labelled with ground-truth
success of its episode's goal and scored with Eq. 1 (`RewardModel.goal_probability`, goal
against K fixed negatives drawn uniformly from the family's other goals, and with
--extra_negatives the fixed and per-goal prompts of the family's run config); the binary reward
`p > beta` is swept over beta for the PR curve. The temperature is chosen per model on the
train goals only (mean AP over families) from the learned one and a small grid.
Writes `<out>/offline_pr.json` and `<out>/offline_pr.png` (plus one PNG per panel).
"""

import json
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags
from PIL import Image
from tqdm import tqdm

import envs.playhouse as envs_playhouse
from envs.base import fill_goal_templates
from envs.playhouse import Playhouse, PlayhouseConfig
from experiments import run_io
from experiments.analysis import runs
from experiments.configs import playhouse_find, playhouse_lift, playhouse_place
from experiments.pretraining import clip_data
from vlm_rewards import evaluation
from vlm_rewards.clip import load_clip
from vlm_rewards.reward_model import RewardModel

_MODELS = flags.DEFINE_string(
  "models", "bundled_S=bundled", "comma-separated name=path (a HF folder, or 'bundled')"
)
_OUT = flags.DEFINE_string("out", "runs/offline_pr", "output directory")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "replace the results already in --out")
_SEED = flags.DEFINE_integer("seed", 1234, "dataset seed")
_ENVS = flags.DEFINE_integer("num_envs", 32, "episodes per rollout")
_STEPS = flags.DEFINE_integer("episode_steps", 64, "steps per episode")
_ROLLOUTS = flags.DEFINE_integer("rollouts", 2, "rollouts per (family, split)")
_FAMILIES = flags.DEFINE_list("families", ["find", "lift", "place"], "goal families to score")
_HOUSE = flags.DEFINE_enum(
  "house", "default", ["default", "small"], "benchmark house, or the main job's one-room house"
)
_NEGATIVES = flags.DEFINE_integer("num_negatives", 32, "K negatives per goal (Eq. 1)")
_EXTRA = flags.DEFINE_bool(
  "extra_negatives",
  False,
  "Also contrast each goal with its family's fixed and per-goal prompts, as its run config does "
  "(Lift: configs/playhouse_lift.py, Pick-and-place: configs/playhouse_place.py).",
)
# Each family's run config, whose reward.extra_negatives and reward.goal_negatives
# --extra_negatives adds.
FAMILY_CONFIGS = {"find": playhouse_find, "lift": playhouse_lift, "place": playhouse_place}


def family_negatives(family: str, env: Playhouse) -> dict:
  """The RewardModel keywords of `family`'s run-config negatives, for the goals of `env`."""
  r = FAMILY_CONFIGS[family].get_config().reward
  own = tuple(r.goal_negatives)
  return {
    "extra_negatives": tuple(r.extra_negatives),
    "goal_negatives": fill_goal_templates(env.goals, env.goal_slots, own) if own else (),
  }


TEMPERATURES = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
SPLITS = ("train", "heldout")


def dataset_rollouts(env: Playhouse, seed: int, relations: bool = False) -> dict:
  """{split: clip_data.Rollout} of 60% oracle / 40% random episodes (the flags' sizes), split
  i from seed + i; `relations` adds the APART facts (the frames are the same)."""
  cfg = clip_data.RolloutConfig(
    _ENVS.value, _STEPS.value, oracle_fraction=0.6, epsilon=0.15, relations=relations
  )
  rollout = jax.jit(clip_data.make_rollout(env, cfg))
  return {
    split: clip_data.generate(rollout, seed + i, _ROLLOUTS.value, heldout=split == "heldout")
    for i, split in enumerate(SPLITS)
  }


def make_dataset(family: str, seed: int) -> tuple[Playhouse, dict]:
  """Frames, goals and success labels of both splits for one family (deterministic), cached
  in the output directory under a name that records every setting it depends on."""
  house = clip_data.SMALL_HOUSE if _HOUSE.value == "small" else {}
  env = Playhouse(PlayhouseConfig(families=(family,), **house))
  source = runs.source_hash(envs_playhouse)
  settings = f"s{seed}_e{_ENVS.value}_t{_STEPS.value}_r{_ROLLOUTS.value}_{source}"
  name = f"data_{_HOUSE.value}_{family}_{settings}.npz"
  cache = pathlib.Path(_OUT.value) / name
  if cache.exists():
    with np.load(cache) as f:
      return env, {s: {k: f[f"{s}/{k}"] for k in ("frames", "goal", "success")} for s in SPLITS}
  data = {
    split: {"frames": r.frames, "goal": r.goal, "success": r.success}
    for split, r in dataset_rollouts(env, seed).items()
  }
  np.savez(cache, **{f"{s}/{k}": v for s, d in data.items() for k, v in d.items()})
  return env, data


def goal_scores(reward_model: RewardModel, split: dict, img: np.ndarray, temperatures) -> dict:
  """{temperature: p [F]} of each frame's episode goal against its fixed negatives."""
  img, goal_ids = jnp.asarray(img), jnp.asarray(split["goal"])
  return {t: np.asarray(reward_model.goal_probability(img, goal_ids, t)) for t in temperatures}


def image_fps(clip, batch: int = 256, repeats: int = 3) -> float:
  frames = jnp.zeros((batch, clip.image_size, clip.image_size, 3), jnp.uint8)
  clip.embed_images(frames).block_until_ready()
  best = np.inf
  for _ in range(repeats):
    t0 = time.perf_counter()
    clip.embed_images(frames).block_until_ready()
    best = min(best, time.perf_counter() - t0)
  return batch / best


def evaluate_model(clip, datasets: dict) -> dict:
  """Curves and summaries of one model at every candidate temperature."""
  temperatures = sorted({*TEMPERATURES, round(clip.temperature, 6)})
  curves = {t: {} for t in temperatures}
  for family, (env, data) in tqdm(datasets.items(), desc="families", unit="family", leave=False):
    # K fixed negatives per goal, drawn uniformly from the family's other goals (seed 0)
    extra = family_negatives(family, env) if _EXTRA.value else {}
    reward_model = RewardModel(
      clip, env.goals, num_negatives=_NEGATIVES.value, negatives_seed=0, **extra
    )
    for split, d in data.items():
      if not d["success"].any():
        continue  # no positive frame: precision and recall are undefined
      scores = goal_scores(
        reward_model, d, evaluation.embed_frames(clip, d["frames"]), temperatures
      )
      for t in temperatures:
        curves[t][(family, split)] = evaluation.pr_curve(scores[t], d["success"])
  mean_train_ap = {
    t: np.mean([evaluation.average_precision(c) for (_, s), c in curves[t].items() if s == "train"])
    for t in temperatures
  }
  chosen = max(temperatures, key=lambda t: mean_train_ap[t])
  learned = round(clip.temperature, 6)
  at_learned = {f"{f}/{s}": _summary(c) for (f, s), c in curves[learned].items()}
  return {
    "temperature": chosen,
    "learned_temperature": clip.temperature,
    "at_learned_temperature": at_learned,
    "curves": curves[chosen],
  }


def _summary(curve: evaluation.PRCurve | None) -> dict | None:
  if curve is None:
    return None
  return {
    "average_precision": round(evaluation.average_precision(curve), 4),
    "best_f1": evaluation.best_f1_threshold(curve),
    "positives": curve.positives,
    "count": curve.count,
  }


def write_plots(results: dict, out: pathlib.Path) -> pathlib.Path:
  """One PNG per (split, family) via `evaluation.plot_pr_curves`, tiled into one PNG."""
  rows = []
  for split in SPLITS:
    tiles = []
    for family in _FAMILIES.value:
      curves = {n: r["curves"].get((family, split)) for n, r in results.items()}
      curves = {n: c for n, c in curves.items() if c is not None}
      path = out / f"pr_{split}_{family}.png"
      evaluation.plot_pr_curves(curves, path, title=f"{family}, {split} goals")
      tiles.append(Image.open(path).convert("RGB"))
    rows.append(tiles)
  w = max(t.width for row in rows for t in row)
  h = max(t.height for row in rows for t in row)
  sheet = Image.new("RGB", (w * len(_FAMILIES.value), h * len(SPLITS)), "white")
  for i, row in enumerate(rows):
    for j, tile in enumerate(row):
      sheet.paste(tile, (j * w, i * h))
  sheet.save(out / "offline_pr.png")
  return out / "offline_pr.png"


def main(argv) -> None:
  del argv
  models = run_io.parse_models(_MODELS.value)  # before the (slow) datasets
  out = pathlib.Path(_OUT.value)
  run_io.refuse_overwrite(out / "offline_pr.json", _OVERWRITE.value)
  out.mkdir(parents=True, exist_ok=True)
  families = tqdm(_FAMILIES.value, desc="datasets", unit="family")
  datasets = {f: make_dataset(f, _SEED.value + 10 * i) for i, f in enumerate(families)}
  results, table = {}, {}
  for name, path in tqdm(models, desc="models", unit="model"):
    clip = load_clip(path)
    results[name] = evaluate_model(clip, datasets)
    table[name] = {
      "path": path,
      "temperature": results[name]["temperature"],
      "learned_temperature": results[name]["learned_temperature"],
      "at_learned_temperature": results[name]["at_learned_temperature"],
      "image_frames_per_s_batch256": round(image_fps(clip), 1),
      **{
        f"{family}/{split}": _summary(results[name]["curves"].get((family, split)))
        for family in _FAMILIES.value
        for split in SPLITS
      },
    }
    print(name, table[name]["temperature"], table[name]["image_frames_per_s_batch256"])
  if not results:
    return  # --models= only builds (and caches) the dataset
  table["_dataset"] = {
    "seed": _SEED.value,
    "house": _HOUSE.value,
    "extra_negatives": _EXTRA.value,
    "playhouse_source_hash": runs.source_hash(envs_playhouse),
  }
  (out / "offline_pr.json").write_text(json.dumps(table, indent=2) + "\n")
  write_plots(results, out)
  header = "model  " + "  ".join(f"{f}/{s}" for f in _FAMILIES.value for s in SPLITS)
  print(header)
  for name, row in results.items():
    row = table[name]
    aps = [
      (row[f"{f}/{s}"] or {}).get("average_precision", np.nan)
      for f in _FAMILIES.value
      for s in SPLITS
    ]
    print(f"{name:5s}  " + "  ".join(f"{a:.3f}" for a in aps))


if __name__ == "__main__":
  app.run(main)
