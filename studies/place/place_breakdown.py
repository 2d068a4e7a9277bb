"""What the Pick-and-place reward fires on, and what beats the goal where it should fire.

  python -m studies.place.place_breakdown --models=S=runs/pretrain_clip/S/model --out=runs/pr_place

The shared-negatives Pick-and-place reward of 2026-11-26 (each goal against 32 other goals,
"holding <object>" for all objects and "<a> and <b> apart" for all pairs: `PLACE_NEGATIVES`;
`configs/playhouse_place.py` now uses per-goal prompts instead) on the oracle-heavy frames of
`experiments.analysis.offline_pr` (same flags, same seeds, so the same frames and AP), at the
temperature
offline_pr would choose (best mean train AP). Per goal split it reports:

  - AP, and AP with every frame whose target is held scored 0: the ceiling of a reward that
    never mistakes carrying the target for having put it down;
  - per kind of frame (`KINDS`, from the simulator's facts): count, mean probability, the
    fraction that fires at --threshold, and its share of the top-N false positives (N = the
    number of successes, where AP is decided);
  - on success frames with the pair in view and on carrying frames, which prompt scores highest
    (`WINNERS`): the goal itself, or which kind of negative.

Writes `<out>/place_breakdown.json` and prints it.
"""

import json
import pathlib

import numpy as np
from absl import app, flags

from envs.playhouse import Playhouse, PlayhouseConfig
from envs.playhouse.goals import goal_compositions, object_phrases, pair_phrases
from experiments import run_io
from experiments.analysis import offline_pr
from experiments.pretraining import clip_data
from experiments.pretraining.clip_data import APART, HELD, PAIR, VISIBLE, K
from vlm_rewards import evaluation, rewards
from vlm_rewards.clip import load_clip
from vlm_rewards.reward_model import RewardModel

# Every goal against "holding <a>" (108 objects), then "<a> and <b> apart" (5,778 pairs).
PLACE_NEGATIVES = object_phrases("holding {a}") + pair_phrases("{a} and {b} apart")

_THRESHOLD = flags.DEFINE_float("threshold", 0.5, "beta at which a frame counts as firing")

KINDS = (
  "success, pair in view",
  "success, pair not in view",
  "carrying the target, reference in view",
  "carrying the target",
  "holding another object",
  "target and reference apart in view",
  "target or reference in view",
  "neither in view",
)
WINNERS = (
  "the goal",
  "another goal",
  "holding the target or reference",
  "holding another object",
  "target and reference apart",
  "another pair apart, one of them the target or reference",
  "another pair apart, neither of them",
)


def _has(facts: np.ndarray, keys: np.ndarray) -> np.ndarray:
  return np.any(facts == keys[:, None], axis=1)


def frame_kinds(facts: np.ndarray, success: np.ndarray, target, ref) -> np.ndarray:
  """int[F] index into `KINDS` of each frame, from its facts int[F, NF] (`clip_data.state_facts`
  with relations), its goal's success and its goal's target and reference compositions int[F];
  the first kind that holds."""
  pair = _has(facts, PAIR + target * K + ref) | _has(facts, PAIR + ref * K + target)
  apart = _has(facts, APART + target * K + ref) | _has(facts, APART + ref * K + target)
  carrying = _has(facts, HELD + target)
  holding = np.any((facts >= HELD) & (facts < HELD + K), axis=1)
  target_seen, ref_seen = _has(facts, VISIBLE + target), _has(facts, VISIBLE + ref)
  conditions = [
    success & pair,
    success,
    carrying & ref_seen,
    carrying,
    holding,
    apart,
    target_seen | ref_seen,
  ]
  return np.select(conditions, np.arange(len(conditions)), len(conditions))


def pair_index(a, b) -> np.ndarray:
  """Index of the unordered pair {a, b} (a != b) in `goals.pair_phrases` order."""
  lo, hi = np.minimum(a, b), np.maximum(a, b)
  return lo * (2 * K - lo - 1) // 2 + hi - lo - 1


def winners(image, goal, other_goals, holding, apart, target, ref) -> np.ndarray:
  """int[F] index into `WINNERS`: which prompt each frame's image embedding [F, D] is most
  similar to, among its goal [F, D], its other goals [F, G, D], "holding <object>" [K, D] and
  "<a> and <b> apart" [K (K - 1) / 2, D] (target, ref: int[F] compositions)."""
  rows = np.arange(len(image))
  own_pair = pair_index(target, ref)
  held = image @ holding.T
  own_held = np.maximum(held[rows, target], held[rows, ref])
  held[rows, target] = held[rows, ref] = -np.inf
  pairs = image @ apart.T
  own_apart = pairs[rows, own_pair]
  pairs[rows, own_pair] = -np.inf
  best_pair = np.argmax(pairs, axis=1)
  lo, hi = (x[best_pair] for x in np.triu_indices(K, 1))  # the `pair_phrases` order
  shares = (lo == target) | (lo == ref) | (hi == target) | (hi == ref)
  best_apart = pairs[rows, best_pair]
  scores = np.stack(
    [
      np.sum(image * goal, axis=-1),
      np.einsum("fd,fgd->fg", image, other_goals).max(axis=1),
      own_held,
      held.max(axis=1),
      own_apart,
      np.where(shares, best_apart, -np.inf),
      np.where(shares, -np.inf, best_apart),
    ],
    axis=1,
  )
  return np.argmax(scores, axis=1)


def _kind_table(kinds, p, success, threshold) -> dict:
  top = np.argsort(-p, kind="stable")[: int(success.sum())]
  false_top = kinds[top][~success[top]]
  table = {}
  for i, name in enumerate(KINDS):
    m = kinds == i
    if m.any():
      table[name] = {
        "frames": int(m.sum()),
        "mean_probability": round(float(p[m].mean()), 4),
        "fires": round(float(np.mean(rewards.fires(p[m], threshold))), 4),
        "share_of_top_false_positives": round(float(np.mean(false_top == i)), 4)
        if len(false_top)
        else None,
      }
  return table


def _winner_counts(w: np.ndarray) -> dict:
  return {name: int(np.sum(w == i)) for i, name in enumerate(WINNERS) if np.any(w == i)}


def breakdown(clip, env: Playhouse, data: dict, threshold: float, num_negatives: int = 32) -> dict:
  """The report of one CLIP on `data` ({split: clip_data.Rollout with relations facts})."""
  rm = RewardModel(
    clip, env.goals, num_negatives=num_negatives, negatives_seed=0, extra_negatives=PLACE_NEGATIVES
  )
  hold_emb, apart_emb = np.split(np.asarray(rm.extra_negative_emb), [K])
  goal_emb = np.asarray(rm.goal_emb)
  temperatures = sorted({*offline_pr.TEMPERATURES, round(clip.temperature, 6)})
  embedded = {s: evaluation.embed_frames(clip, r.frames) for s, r in data.items()}
  scores = {
    s: offline_pr.goal_scores(rm, {"goal": r.goal}, embedded[s], temperatures)
    for s, r in data.items()
  }

  def ap(p, y):
    return evaluation.average_precision(evaluation.pr_curve(p, y))

  chosen = max(temperatures, key=lambda t: ap(scores["train"][t], data["train"].success))
  report = {"temperature": chosen}
  for split, r in data.items():
    p, y = scores[split][chosen], r.success
    target, ref = goal_compositions(env.goal_tables, r.goal)
    kinds = frame_kinds(r.facts, y, target, ref)
    carrying = (kinds == 2) | (kinds == 3)  # the target held (never a success)
    w = winners(
      embedded[split],
      goal_emb[r.goal],
      goal_emb[np.asarray(rm.negative_ids)[r.goal]],
      hold_emb,
      apart_emb,
      target,
      ref,
    )
    report[split] = {
      "frames": len(y),
      "successes": int(y.sum()),
      "average_precision": round(ap(p, y), 4),
      "average_precision_target_held_scored_0": round(ap(np.where(carrying, 0.0, p), y), 4),
      "kinds": _kind_table(kinds, p, y, threshold),
      "highest_prompt_on_successes_pair_in_view": _winner_counts(w[kinds == 0]),
      "highest_prompt_on_carrying_reference_in_view": _winner_counts(w[kinds == 2]),
    }
  return report


def main(argv) -> None:
  del argv
  models = run_io.parse_models(offline_pr._MODELS.value)
  out = pathlib.Path(offline_pr._OUT.value) / "place_breakdown.json"
  run_io.refuse_overwrite(out, offline_pr._OVERWRITE.value)
  house = clip_data.SMALL_HOUSE if offline_pr._HOUSE.value == "small" else {}
  env = Playhouse(PlayhouseConfig(families=("place",), **house))
  data = offline_pr.dataset_rollouts(env, offline_pr._SEED.value, relations=True)
  results = {"_dataset": {"seed": offline_pr._SEED.value, "house": offline_pr._HOUSE.value}}
  for name, path in models:
    results[name] = breakdown(
      load_clip(path), env, data, _THRESHOLD.value, offline_pr._NEGATIVES.value
    )
  out.parent.mkdir(parents=True, exist_ok=True)
  out.write_text(json.dumps(results, indent=2) + "\n")
  print(json.dumps(results, indent=2))


if __name__ == "__main__":
  app.run(main)
