"""The size curves of the web family: zero-shot AP and online held-out success against
image-tower parameters (studies/web_clip/README.md).

  python -m studies.web_clip.report --zero_shot=runs/web_clip/zero_shot/zero_shot.json \
      --results=runs/web_clip/find/results.json --out=studies/web_clip

Writes <out>/scaling.png (left: AP of each model per frame source, base rate dashed; right:
online held-out success of each seed, with the mean and the sweep's 95% stratified-bootstrap
interval) and prints the online table in Markdown.
"""

import json
import pathlib

import matplotlib
from absl import app, flags

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_ZERO_SHOT = flags.DEFINE_string("zero_shot", None, "zero_shot.json", required=True)
_RESULTS = flags.DEFINE_string("results", None, "the Find sweep's results.json", required=True)
_OUT = flags.DEFINE_string("out", "studies/web_clip", "output folder")
CELLS = (
  "main_house/find/random_walk",
  "main_house/find/agent",
  "playhouse/lift/random_walk",
  "launcher/common/random_walk",
  "launcher/common/oracle",
)
METRIC = "eval/heldout_gt_success"


def main(argv) -> None:
  del argv
  table = json.loads(pathlib.Path(_ZERO_SHOT.value).read_text())
  results = json.loads(pathlib.Path(_RESULTS.value).read_text())
  family = [m for m in table if m.startswith("web-")]
  params = {m: table[m]["image_tower_parameters"] for m in family}
  fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
  for k, cell in enumerate(CELLS):
    x = [params[m] for m in family]
    ap = [table[m]["cells"][cell].get("average_precision", float("nan")) for m in family]
    left.plot(x, ap, "o-", c=f"C{k}", label=cell)
    left.axhline(table[family[0]]["cells"][cell]["base_rate"], ls="--", c=f"C{k}", lw=0.8)
  left.set(xscale="log", ylim=(0, 1), xlabel="image-tower parameters", ylabel="zero-shot AP")
  left.legend(fontsize=7)
  print(
    "| model | image-tower parameters | corpus beta | held-out success, per seed | mean "
    "[95% interval] | online VLM precision (mean) |"
  )
  print("|---|---|---|---|---|---|")
  for m in family:
    if m not in results:
      continue
    final = results[m]["final"][METRIC]
    seeds = final["per_seed"]
    right.scatter([params[m]] * len(seeds), seeds, c="C0", alpha=0.5, s=14)
    low, high = final["ci95"]
    right.errorbar(
      params[m],
      final["mean"],
      [[final["mean"] - low], [high - final["mean"]]],
      fmt="s",
      c="k",
      capsize=3,
    )
    beta = table[m]["corpus_beta"]["threshold"]
    print(
      f"| {m} | {params[m]:,} | {beta:.4f} | {', '.join(f'{v:.3f}' for v in seeds)} | "
      f"{final['mean']:.3f} [{low:.3f}, {high:.3f}] | "
      f"{results[m]['final']['vlm_precision']['mean']:.3f} |"
    )
  right.set(
    xscale="log",
    ylim=(0, 1),
    xlabel="image-tower parameters",
    ylabel="held-out success (Find, main house)",
  )
  fig.tight_layout()
  out = pathlib.Path(_OUT.value)
  fig.savefig(out / "scaling.png", dpi=110)


if __name__ == "__main__":
  app.run(main)
