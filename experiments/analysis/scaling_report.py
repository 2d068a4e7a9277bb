"""The scaling study's table and Q3 plot, from a calibration file and a sweep's results.

  python -m experiments.analysis.scaling_report --calibration=runs/lift_sizes/calibration.json \
      --results=runs/lift_sizes/sweep/results.json --out=runs/lift_sizes/report

Writes `fig4.md` (per model: its calibrated threshold, offline AP on train and held-out
goals, offline recall at the threshold on train goals, and the runs' final held-out success,
VLM and ground-truth return and online precision, each the mean over seeds with its 95%
interval) and `q3.png` / `q3.json` (the paper's Q3: offline held-out AP against final
held-out success, one point per model, with Pearson's and Spearman's correlation; and the same
for the reward's density, its offline recall at the calibrated beta).
A sweep point is matched to a calibrated model by name.
"""

import json
import pathlib

import numpy as np
from absl import app, flags
from scipy import stats

_CALIBRATION = flags.DEFINE_string("calibration", None, "experiments.analysis.calibrate's JSON.")
_RESULTS = flags.DEFINE_string("results", None, "experiments.sweep's results.json.")
_OUT = flags.DEFINE_string("out", None, "Output folder (fig4.md, q3.png, q3.json).")

COLUMNS = (
  ("eval/heldout_gt_success", "held-out success"),
  ("vlm_return", "VLM return"),
  ("gt_return", "GT return"),
  ("vlm_precision", "online precision"),
)


def _cell(stat: dict) -> str:
  low, high = stat["ci95"]
  return f"{stat['mean']:.3f} [{low:.3f}, {high:.3f}]"


def table(calibration: dict, results: dict) -> str:
  """A markdown table, one row per sweep point that has a calibrated model of its name."""
  header = [
    "model",
    "calibrated beta",
    "offline AP train / held-out",
    "offline recall at beta: oracle-mix / random walk",
    *(c for _, c in COLUMNS),
    "seeds",
  ]
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  for name, point in results.items():
    model = calibration["models"].get(name)
    if model is None:
      continue
    final = point["final"]
    row = next(r for r in model["sweep"] if r["beta"] == model["beta"])
    cells = [
      name,
      f"{model['beta']:.1f}" + ("" if model["rule_met"] else " (rule unmet)"),
      f"{model['train_ap']:.3f} / {model['heldout_ap']:.3f}",
      f"{row['oracle_mix']['recall']:.3f} / {row['random_walk']['recall']:.3f}",
      *(_cell(final[key]) if key in final else "-" for key, _ in COLUMNS),
      str(len(point["seeds"])),
    ]
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines) + "\n"


# Offline predictors of online success, per model: the paper's (held-out AP), and the reward's
# density at the calibrated beta (recall on the train goals' oracle-mix frames).
PREDICTORS = {
  "heldout_ap": ("offline held-out AP", lambda model, row: model["heldout_ap"]),
  "recall_at_beta": ("offline recall at beta", lambda model, row: row["oracle_mix"]["recall"]),
}


def q3(calibration: dict, results: dict) -> dict:
  """Each predictor and final held-out success per model, and their correlations (only from
  4 models or more)."""
  names = [n for n in results if n in calibration["models"]]
  success = [results[n]["final"]["eval/heldout_gt_success"]["mean"] for n in names]
  out = {"models": names, "heldout_success": success, "correlations": {}}
  for key, (_, value) in PREDICTORS.items():
    x = []
    for n in names:
      model = calibration["models"][n]
      x.append(value(model, next(r for r in model["sweep"] if r["beta"] == model["beta"])))
    out[key] = x
    if len(names) >= 4 and np.ptp(x) > 0 and np.ptp(success) > 0:
      r, p_r = _correlation(stats.pearsonr, x, success)
      rho, p_rho = _correlation(stats.spearmanr, x, success)
      out["correlations"][key] = {
        "pearson": {"r": r, "p": p_r},
        "spearman": {"rho": rho, "p": p_rho},
      }
  return out


def _correlation(fn, x, y) -> tuple[float, float]:
  """The statistic of `fn` and its two-sided p-value from every pairing of x with y (exact for
  up to 7 models; scipy's own p-values assume large samples, and give 0 to a perfect rank
  order of 4)."""
  statistic = lambda a, b: fn(a, b).statistic
  test = stats.permutation_test((x, y), statistic, permutation_type="pairings")
  return float(test.statistic), float(test.pvalue)


def plot_q3(results: dict, summary: dict, path: pathlib.Path) -> None:
  import matplotlib  # noqa: PLC0415 (plotting only here)

  matplotlib.use("Agg", force=False)
  import matplotlib.pyplot as plt  # noqa: PLC0415

  fig, axes = plt.subplots(1, len(PREDICTORS), figsize=(9, 3.5), dpi=120, sharey=True)
  for ax, (key, (label, _)) in zip(axes, PREDICTORS.items(), strict=True):
    for name, x in zip(summary["models"], summary[key], strict=True):
      stat = results[name]["final"]["eval/heldout_gt_success"]
      low, high = stat["ci95"]
      ax.errorbar(x, stat["mean"], yerr=[[stat["mean"] - low], [high - stat["mean"]]], fmt="o")
      ax.annotate(name, (x, stat["mean"]), textcoords="offset points", xytext=(5, 5))
    corr = summary["correlations"].get(key)
    title = f"{label} (r = {corr['pearson']['r']:.2f})" if corr else label
    ax.set(xlabel=label, title=title)
  axes[0].set_ylabel("final held-out success (95% CI)")
  fig.tight_layout()
  fig.savefig(path)
  plt.close(fig)


def main(argv):
  del argv
  for flag in (_CALIBRATION, _RESULTS, _OUT):
    if flag.value is None:
      raise app.UsageError(f"--{flag.name} is required.")
  calibration = json.loads(pathlib.Path(_CALIBRATION.value).read_text())
  results = json.loads(pathlib.Path(_RESULTS.value).read_text())
  if not any(name in calibration["models"] for name in results):
    raise ValueError(
      f"No sweep point of {_RESULTS.value} ({sorted(results)}) names a model of "
      f"{_CALIBRATION.value} ({sorted(calibration['models'])}): points and models match by name."
    )
  out = pathlib.Path(_OUT.value)
  out.mkdir(parents=True, exist_ok=True)
  (out / "fig4.md").write_text(table(calibration, results))
  summary = q3(calibration, results)
  (out / "q3.json").write_text(json.dumps(summary, indent=2) + "\n")
  plot_q3(results, summary, out / "q3.png")
  print((out / "fig4.md").read_text())
  print(json.dumps(summary["correlations"]))


if __name__ == "__main__":
  app.run(main)
