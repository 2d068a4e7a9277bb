"""Tables and plots of the launcher's RL runs (`studies/launcher_gpu/gpu_runs.sh`).

  python -m studies.launcher_gpu.launcher_results --runs=RUNS --out=studies/launcher_gpu

RUNS: the folder `launcher_gpu_runs.sh` prints (its run workdirs), or its OUT_DIR/runs.tar.gz
unpacked.

Reads every run folder under `--runs` (named `common_<t>_seed<s>` and `diverse_<t>_seed<s>`,
each with its metrics.jsonl) and writes to `--out`:
  results.json  each run's evaluations and training returns, and the prompt study's online
                table: per template, held-out ground-truth success at the largest frame count
                that every common run evaluated at (mean, min and max over seeds), beside the
                offline AP of `studies/launcher_prompts/launcher_prompts.py`;
  returns.png   held-out success against frames per template and seed, and the Fig. 3
                analogue: VLM return against ground-truth return over training.
It refuses to overwrite an earlier `--out` without `--overwrite`.
"""

import json
import pathlib
import re

import matplotlib
from absl import app, flags

from experiments import run_io

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RUNS = flags.DEFINE_string("runs", None, "folder holding the run workdirs", required=True)
OUT = flags.DEFINE_string("out", "studies/launcher_gpu", "where results.json and returns.png go")
OFFLINE = flags.DEFINE_string(
  "offline", "studies/launcher_prompts/prompts.json", "offline prompt-study results"
)
OVERWRITE = flags.DEFINE_bool("overwrite", False, "replace earlier results in --out")
NAME = re.compile(r"(common|diverse)_([a-d])_seed(\d+)$")


def read_run(path: pathlib.Path) -> dict:
  rows = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines() if line]
  evals = [r for r in rows if "eval/heldout_gt_success" in r]
  train = [r for r in rows if "gt_return" in r]
  pick = lambda rs, keys: [{k: r[k] for k in keys if k in r} for r in rs]  # noqa: E731
  return {
    "evals": pick(
      evals,
      ("frames", "eval/heldout_gt_success", "eval/heldout_vlm_return", "eval/train_gt_success"),
    ),
    "random_heldout_gt_success": evals[0].get("eval/random_heldout_gt_success") if evals else None,
    "train": pick(
      train, ("frames", "vlm_return", "gt_return", "vlm_precision", "vlm_recall", "fps")
    ),
  }


def online_table(runs: dict, offline: dict | None) -> dict:
  common = {k: v for k, v in runs.items() if k[0] == "common"}
  frames = min(max(e["frames"] for e in run["evals"]) for run in common.values())
  table = {"frames": frames, "templates": {}}
  for template in sorted({k[1] for k in common}):
    scores = [
      next(e["eval/heldout_gt_success"] for e in run["evals"] if e["frames"] == frames)
      for k, run in sorted(common.items())
      if k[1] == template
    ]
    entry = {"seeds": len(scores), "mean": sum(scores) / len(scores), "per_seed": scores}
    entry.update(min=min(scores), max=max(scores))
    ap = (offline or {}).get("templates", {}).get(template.upper(), {})
    if ap:
      entry["offline_ap_heldout"] = ap["heldout_wallpapers"]["average_precision"]
    table["templates"][template] = entry
  return table


def plot(runs: dict, path: pathlib.Path) -> None:
  fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
  colours = dict(zip("abcd", ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=True))
  for (task, template, seed), run in sorted(runs.items()):
    frames = [e["frames"] / 1e6 for e in run["evals"]]
    success = [e["eval/heldout_gt_success"] for e in run["evals"]]
    style = "-" if task == "common" else ":"
    label = f"{task} {template.upper()} seed {seed}"
    left.plot(frames, success, style, color=colours[template], marker=".", label=label)
    if template == "d":
      frames = [r["frames"] / 1e6 for r in run["train"]]
      right.plot(frames, [r["vlm_return"] for r in run["train"]], style, label=f"VLM, {label}")
      right.plot(frames, [r["gt_return"] for r in run["train"]], "--", label=f"GT, {label}")
  left.set(xlabel="frames (M)", ylabel="held-out ground-truth success", ylim=(0, 1.02))
  left.set_title("Open Apps: templates A-D", fontsize=10)
  right.set(xlabel="frames (M)", ylabel="training episode return", ylim=(0, 1.02))
  right.set_title("VLM return vs ground-truth return (template D)", fontsize=10)
  for ax in (left, right):
    ax.legend(fontsize=6)
  fig.tight_layout()
  fig.savefig(path, dpi=110)


def main(argv):
  del argv
  out = pathlib.Path(OUT.value)
  run_io.refuse_overwrite(out / "results.json", OVERWRITE.value)
  runs = {}
  for path in sorted(pathlib.Path(RUNS.value).iterdir()):
    match = NAME.match(path.name)
    if match and (path / "metrics.jsonl").is_file():
      runs[(match[1], match[2], int(match[3]))] = read_run(path)
  if not any(k[0] == "common" for k in runs):
    raise SystemExit(f"No common_<t>_seed<s> run with a metrics.jsonl under {RUNS.value}.")
  offline_path = pathlib.Path(OFFLINE.value)
  offline = json.loads(offline_path.read_text()) if offline_path.is_file() else None
  table = online_table(runs, offline)
  out.mkdir(parents=True, exist_ok=True)
  results = {"online": table, "runs": {"_".join(map(str, k)): v for k, v in runs.items()}}
  (out / "results.json").write_text(json.dumps(results, indent=1))
  plot(runs, out / "returns.png")
  print(f"Held-out ground-truth success at {table['frames'] / 1e6:.2f}M frames:")
  for template, e in table["templates"].items():
    print(
      f"  {template.upper()}: mean {e['mean']:.3f} (min {e['min']:.3f}, max {e['max']:.3f}, "
      f"{e['seeds']} seeds), offline AP {e.get('offline_ap_heldout', float('nan')):.3f}"
    )


if __name__ == "__main__":
  app.run(main)
