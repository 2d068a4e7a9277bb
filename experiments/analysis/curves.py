"""Learning curves of any runs: one metric against frames, one line per run, and a JSON of them.

  python -m experiments.analysis.curves --runs=DIR1,DIR2 --labels=a,b --out=docs/x/curves \\
      [--metric=eval/heldout_gt_success] [--title=...]

Each DIR is a workdir of `experiments/train.py` or `experiments/sebulba.py` (its metrics.jsonl).
Writes OUT.json ({label: {"run": DIR, "frames": [...], metric: [...]}}) and OUT.png (with
`--smooth=N`, each point the mean of N logged values); refuses to overwrite them without
`--overwrite`.
"""

import json
import pathlib

import matplotlib
import numpy as np
from absl import app, flags

from experiments import run_io

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RUNS = flags.DEFINE_list("runs", None, "run workdirs", required=True)
LABELS = flags.DEFINE_list("labels", None, "one label per run (default: the folder names)")
METRIC = flags.DEFINE_string("metric", "eval/heldout_gt_success", "the metrics.jsonl key to plot")
OUT = flags.DEFINE_string("out", None, "path of the outputs, without suffix", required=True)
TITLE = flags.DEFINE_string("title", "", "the plot's title")
SMOOTH = flags.DEFINE_integer("smooth", 1, "plot the mean of each value and the N-1 before it")
OVERWRITE = flags.DEFINE_bool("overwrite", False, "replace earlier outputs")


def curve(run: pathlib.Path, metric: str) -> tuple[list[float], list[float]]:
  """(frames, values) of the rows of a run's metrics.jsonl that hold `metric`."""
  path = run / "metrics.jsonl"
  if not path.is_file():
    raise FileNotFoundError(f"{path} not found: --runs takes workdirs of experiments/train.")
  rows = [r for r in run_io.read_metrics(path) if metric in r]
  if not rows:
    raise ValueError(f"{path} has no {metric!r}; pick another --metric.")
  return [r["frames"] for r in rows], [r[metric] for r in rows]


def main(argv):
  del argv
  runs = [pathlib.Path(r) for r in RUNS.value]
  labels = LABELS.value or [r.name for r in runs]
  if len(labels) != len(runs):
    raise app.UsageError(f"{len(runs)} runs but {len(labels)} labels.")
  out = pathlib.Path(OUT.value)
  for path in (out.with_suffix(".json"), out.with_suffix(".png")):
    if path.exists() and not OVERWRITE.value:
      raise FileExistsError(f"{path} exists; pass --overwrite to replace it.")
  out.parent.mkdir(parents=True, exist_ok=True)
  data, (fig, ax) = {}, plt.subplots(figsize=(7, 4))
  for run, label in zip(runs, labels, strict=True):
    frames, values = curve(run, METRIC.value)
    data[label] = {"run": str(run), "frames": frames, METRIC.value: values}
    window = min(SMOOTH.value, len(values))
    smoothed = np.convolve(values, np.ones(window) / window, mode="valid")  # the JSON keeps all
    ax.plot([f / 1e6 for f in frames[window - 1 :]], smoothed, label=label)
  smooth = f" (mean of {SMOOTH.value} logs)" if SMOOTH.value > 1 else ""
  ax.set(xlabel="frames (millions)", ylabel=METRIC.value + smooth, title=TITLE.value)
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out.with_suffix(".png"), dpi=100)
  out.with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n")
  print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
  app.run(main)
