"""The prompt study, offline half (paper Fig. 5): reward precision-recall per goal template on
a fixed, seeded dataset of launcher trajectories.

  python -m studies.launcher_prompts.launcher_prompts [--model=bundled-android] [--task=common]
      [--out=studies/launcher_prompts] [--overwrite]  # results in --out: refused without it

Dataset (deterministic in --seed): phones driven 35% by the scripted oracle with 30% random
actions (they reach apps often) and 65% by a uniformly random policy (rarely), so the share
of frames showing the goal's app is low, as online; one split on training wallpapers and one
on held-out wallpapers, fresh layouts in both. Each frame is labelled with ground truth (the
episode's goal app is open) and scored with Eq. 1 (`RewardModel.goal_probability`: the goal
against its fixed negatives, the other goals of the task) under each template: A "Open X",
B "Open the X app", C "Screenshot of X", D "Screenshot of X on Android", and the C+D
ensemble; with --other_screens (the default, as in the training configs) each goal is also
contrasted with the phone's other screens (the non-goal apps, home screen, drawer). Writes
`prompts.json` (AP, base rate, precision and recall at the thresholds) and `prompts.png` to
--out.
"""

import json
import pathlib

import jax
import numpy as np
from absl import app, flags

from envs.launcher import Launcher, LauncherConfig, apps
from experiments import run_io
from experiments.pretraining import launcher_data
from vlm_rewards import evaluation, rewards
from vlm_rewards.clip import load_clip
from vlm_rewards.reward_model import RewardModel

TEMPLATES = {
  "A": "android_a",
  "B": "android_b",
  "C": "android_c",
  "D": "android_d",
  "C+D": "android",
}
THRESHOLDS = (0.5, 0.7, 0.9)

_MODEL = flags.DEFINE_string("model", "bundled-android", "CLIP to score with")
_TASK = flags.DEFINE_enum("task", "common", ["common", "diverse"], "goal set")
_SEED = flags.DEFINE_integer("seed", 1234, "dataset seed")
_ROLLOUTS = flags.DEFINE_integer("rollouts", 4, "rollouts of 64 phones x 16 steps per split")
_OUT = flags.DEFINE_string("out", "studies/launcher_prompts", "output folder")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "replace the results already in --out")
_OTHERS = flags.DEFINE_bool(
  "other_screens", True, "also contrast each goal with the phone's other screens (as configs do)"
)


def make_dataset(env: Launcher, seed: int, rollouts: int) -> dict:
  """{split: {"frames", "goal", "success"}} on training (0) and held-out (1) wallpapers."""
  cfg = launcher_data.RolloutConfig(
    oracle_fraction=0.35, epsilon=0.3, swipe_fraction=0.0, image_size=None
  )
  data = {}
  for pool, split in enumerate(("train_wallpapers", "heldout_wallpapers")):
    rollout = jax.jit(launcher_data.make_rollout(env, cfg, pool))
    parts = [rollout(k) for k in jax.random.split(jax.random.key(seed + pool), rollouts)]
    data[split] = {
      k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in ("frames", "goal", "success")
    }
  return data


def embed(clip, frames: np.ndarray, batch: int = 512) -> np.ndarray:
  return np.concatenate(
    [np.asarray(clip.embed_images(frames[i : i + batch])) for i in range(0, len(frames), batch)]
  )


def study(clip, env: Launcher, data: dict, extra_negatives=()) -> tuple[dict, dict]:
  """(summary per template and split, PR curves keyed "template / split")."""
  summary, curves = {}, {}
  embedded = {split: embed(clip, d["frames"]) for split, d in data.items()}
  for label, template in TEMPLATES.items():
    model = RewardModel(
      clip, env.goals, templates=template, negatives_seed=0, extra_negatives=extra_negatives
    )
    summary[label] = {"template": template}
    for split, d in data.items():
      p = np.asarray(model.goal_probability(embedded[split], d["goal"]))
      curve = evaluation.pr_curve(p, d["success"])
      curves[f"{label} / {split}"] = curve
      at = {}
      for beta in THRESHOLDS:
        fired = rewards.fires(p, beta)
        tp = float((fired & d["success"]).sum())
        at[str(beta)] = {
          "precision": round(tp / max(fired.sum(), 1), 4),
          "recall": round(tp / max(d["success"].sum(), 1), 4),
        }
      summary[label][split] = {
        "average_precision": round(evaluation.average_precision(curve), 4),
        "base_rate": round(float(d["success"].mean()), 4),
        "frames": int(len(p)),
        "at_threshold": at,
      }
  return summary, curves


def main(argv) -> None:
  del argv
  out = pathlib.Path(_OUT.value)
  run_io.refuse_overwrite(out / "prompts.json", _OVERWRITE.value)  # before the slow part
  env = Launcher(LauncherConfig(task=_TASK.value))
  clip = load_clip(_MODEL.value)
  extra = apps.other_screens(_TASK.value) if _OTHERS.value else ()
  summary, curves = study(clip, env, make_dataset(env, _SEED.value, _ROLLOUTS.value), extra)
  out.mkdir(parents=True, exist_ok=True)
  report = {
    "model": _MODEL.value,
    "task": _TASK.value,
    "seed": _SEED.value,
    "extra_negatives": list(extra),
    "templates": summary,
  }
  (out / "prompts.json").write_text(json.dumps(report, indent=2) + "\n")
  held = {k: c for k, c in curves.items() if k.endswith("heldout_wallpapers")}
  evaluation.plot_pr_curves(
    held, out / "prompts.png", title=f"Open {_TASK.value} apps: reward PR per template"
  )
  print(json.dumps(report, indent=2))


if __name__ == "__main__":
  app.run(main)
