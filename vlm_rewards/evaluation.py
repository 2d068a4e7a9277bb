"""Offline evaluation of a reward model against ground truth (host-side NumPy).

The binary reward is ``p > threshold`` (Eq. 2). ``pr_curve`` lists every distinct operating
point: each ``threshold`` it returns reproduces its (precision, recall) exactly when passed as
``beta`` to ``rewards.binary_reward``. Pick the threshold with ``best_f1_threshold`` or, when
false positives are costly (a false success ends the episode), ``threshold_for_precision``.
"""

import dataclasses
import pathlib

import numpy as np

from vlm_rewards import rewards

BETAS = tuple(round(0.1 * i, 1) for i in range(1, 10))  # thresholds `threshold_by_rule` tries


@dataclasses.dataclass(frozen=True)
class PRCurve:
  """Precision-recall operating points, from the strictest threshold to the loosest.

  Attributes:
    thresholds: float64 [M]; predict success where ``p > threshold``.
    precision: float64 [M].
    recall: float64 [M].
    positives: number of positive labels.
    count: number of examples.
  """

  thresholds: np.ndarray
  precision: np.ndarray
  recall: np.ndarray
  positives: int
  count: int

  @property
  def f1(self) -> np.ndarray:
    """F1 score at each threshold (0 where precision + recall is 0)."""
    total = self.precision + self.recall
    return np.where(total > 0, 2 * self.precision * self.recall / np.maximum(total, 1e-300), 0.0)


def _check(probabilities, labels) -> tuple[np.ndarray, np.ndarray]:
  p = np.asarray(probabilities, np.float64).reshape(-1)
  y = np.asarray(labels).reshape(-1)
  if p.shape != y.shape:
    raise ValueError(f"probabilities and labels differ in size: {p.shape} vs {y.shape}.")
  if p.size == 0:
    raise ValueError("no examples: probabilities and labels are empty.")
  if not np.all(np.isfinite(p)):
    raise ValueError("probabilities contain NaN or inf.")
  if y.dtype != bool and not np.isin(y, (0, 1)).all():
    raise ValueError("labels must be booleans (or 0/1).")
  y = y.astype(bool)
  if not y.any():
    raise ValueError("labels contain no positive example: precision and recall are undefined.")
  return p, y


def pr_curve(probabilities, labels) -> PRCurve:
  """Precision and recall of ``p > t`` for every distinct operating point.

  Args:
    probabilities: float [N] predicted success probabilities.
    labels: bool [N] ground-truth successes.

  Returns:
    A ``PRCurve``. The i-th point predicts success for the examples whose score is at least
    the i-th largest distinct score; its threshold is the next lower distinct score (for the
    last point, the next float below the smallest score).
  """
  p, y = _check(probabilities, labels)
  order = np.argsort(-p, kind="stable")
  p_sorted, y_sorted = p[order], y[order]
  # Index of the last example of each group of tied scores.
  last = np.flatnonzero(np.r_[p_sorted[1:] != p_sorted[:-1], True])
  true_pos = np.cumsum(y_sorted)[last].astype(np.float64)
  predicted = (last + 1).astype(np.float64)
  distinct = p_sorted[last]
  thresholds = np.r_[distinct[1:], np.nextafter(distinct[-1], -np.inf)]
  return PRCurve(
    thresholds=thresholds,
    precision=true_pos / predicted,
    recall=true_pos / y.sum(),
    positives=int(y.sum()),
    count=int(y.size),
  )


def average_precision(curve: PRCurve) -> float:
  """Average precision: sum over points of (R_i - R_{i-1}) * P_i, starting from R = 0."""
  recall_steps = np.diff(np.r_[0.0, curve.recall])
  return float(np.sum(recall_steps * curve.precision))


def best_f1_threshold(curve: PRCurve) -> dict:
  """The operating point of highest F1: {"threshold", "f1", "precision", "recall"}."""
  i = int(np.argmax(curve.f1))
  return {
    "threshold": float(curve.thresholds[i]),
    "f1": float(curve.f1[i]),
    "precision": float(curve.precision[i]),
    "recall": float(curve.recall[i]),
  }


def threshold_for_precision(curve: PRCurve, target: float) -> dict | None:
  """The highest-recall operating point with precision >= ``target``, or None if none has.

  Returns:
    {"threshold", "precision", "recall"} or None.
  """
  if not 0.0 <= target <= 1.0:
    raise ValueError(f"target precision must be in [0, 1], got {target}.")
  ok = np.flatnonzero(curve.precision >= target)
  if ok.size == 0:
    return None
  i = int(ok[np.argmax(curve.recall[ok])])
  return {
    "threshold": float(curve.thresholds[i]),
    "precision": float(curve.precision[i]),
    "recall": float(curve.recall[i]),
  }


def summary(curve: PRCurve, target_precisions=(0.5, 0.8, 0.9)) -> dict:
  """JSON-ready summary: AP, best F1, thresholds for target precisions, base rate."""
  return {
    "count": curve.count,
    "positives": curve.positives,
    "base_rate": curve.positives / curve.count,
    "average_precision": average_precision(curve),
    "best_f1": best_f1_threshold(curve),
    "for_precision": {str(t): threshold_for_precision(curve, t) for t in target_precisions},
  }


def plot_pr_curves(
  curves: dict[str, PRCurve], path: str | pathlib.Path, title: str = "Reward model precision-recall"
) -> pathlib.Path:
  """Saves a PNG with one step curve per model (AP in the legend) and the base rates."""
  import matplotlib  # noqa: PLC0415 (plotting is optional at import time)

  matplotlib.use("Agg", force=False)
  from matplotlib import pyplot as plt  # noqa: PLC0415

  fig, ax = plt.subplots(figsize=(5, 4), dpi=120)
  for name, curve in curves.items():
    ax.step(
      np.r_[0.0, curve.recall],
      np.r_[curve.precision[0], curve.precision],
      where="pre",
      label=f"{name} (AP {average_precision(curve):.3f})",
    )
    ax.axhline(curve.positives / curve.count, ls=":", lw=0.8, color="gray")
  ax.set(xlabel="recall", ylabel="precision", title=title, xlim=(0, 1), ylim=(0, 1.02))
  ax.legend(loc="best", fontsize=8)
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  fig.savefig(path, bbox_inches="tight")
  plt.close(fig)
  return path


def embed_frames(clip, frames: np.ndarray, batch: int = 256) -> np.ndarray:
  """L2-normalised image embeddings [N, D] of uint8 frames [N, H, W, 3], `batch` at a time
  (the last batch padded, so that one compiled shape serves any N)."""
  pad = (-len(frames)) % batch
  padded = np.concatenate([frames, np.zeros((pad, *frames.shape[1:]), frames.dtype)])
  parts = [
    np.asarray(clip.embed_images(padded[i : i + batch])) for i in range(0, len(padded), batch)
  ]
  return np.concatenate(parts)[: len(frames)]


def summary_at_threshold(probabilities, labels, threshold: float) -> dict:
  """Base rate, AP, and how often ``p > threshold`` fires with its precision and recall
  (None where undefined: no fire, no positive)."""
  p, labels = np.asarray(probabilities), np.asarray(labels, bool)
  fire = rewards.fires(p, threshold)
  curve = pr_curve(p, labels) if labels.any() else None
  return {
    "frames": int(len(p)),
    "base_rate": round(float(labels.mean()), 4),
    "average_precision": None if curve is None else round(average_precision(curve), 4),
    "fires": int(fire.sum()),
    "precision": round(float(labels[fire].mean()), 4) if fire.any() else None,
    "recall": round(float(fire[labels].mean()), 4) if labels.any() else None,
  }


def threshold_by_rule(datasets: dict, min_precision: float, max_hard_fire: float) -> dict:
  """The smallest beta in `BETAS` at which `p > beta` has precision >= `min_precision` on
  every dataset and fires on at most `max_hard_fire` of their hard negatives (`experiments.
  calibrate` states the rule). `datasets`: {name: (p, success, hard mask)}; "oracle_mix" must
  fire, the others (a random walk's few positives) may also pass by not firing at all. Where
  no beta qualifies: the largest, with `rule_met` false. Returns the choice and a row per beta.
  """
  hard_p = np.concatenate([p[hard] for p, _, hard in datasets.values()])
  rows = []
  for beta in BETAS:
    row = {"beta": beta}
    for name, (p, success, _) in datasets.items():
      row[name] = summary_at_threshold(p, success, beta)
    row["hard_fire"] = round(float(rewards.fires(hard_p, beta).mean()), 4) if hard_p.size else 0.0
    precise = [
      (row[n]["precision"] or 0.0) >= min_precision or (n != "oracle_mix" and not row[n]["fires"])
      for n in datasets
    ]
    row["ok"] = all(precise) and row["hard_fire"] <= max_hard_fire
    rows.append(row)
  chosen = next((r for r in rows if r["ok"]), None)
  return {
    "beta": chosen["beta"] if chosen else BETAS[-1],
    "rule_met": chosen is not None,
    "hard_negatives": int(hard_p.size),
    "sweep": rows,
  }
