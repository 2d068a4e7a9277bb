"""Online Find from the frozen zero-shot reward of each web CLIP (studies/web_clip/README.md):
the main job's config with the reward model swapped, each size at the beta the corpus chose
for it (no environment label), 5 seeds each.

  python -m experiments.analysis.zero_shot --models=web-XXS,web-XS,web-S,web-M \
      --agent_run=runs/playhouse_find --out=runs/web_clip/zero_shot
  python -m experiments.sweep --config=experiments/configs/playhouse_find.py \
      --sweep=studies/web_clip/sweep_find.py --workdir=runs/web_clip/find

The sizes scored so far run, in order (score a larger size and rerun: finished points are
skipped). 327,680 frames per run: where the bundled CLIP's reward has the main job at
held-out success 0.656 (studies/main_job/README.md). On an accelerator raise FRAMES and the
config's num_envs.
"""

import json
import pathlib

ZERO_SHOT = pathlib.Path("runs/web_clip/zero_shot/zero_shot.json")
SIZES = ("XXS", "XS", "S", "M")
FRAMES = 327_680


def get_sweep():
  if not ZERO_SHOT.is_file():
    raise FileNotFoundError(
      f"{ZERO_SHOT} is missing: the sweep takes each size's corpus beta from it. Make it with "
      "the zero_shot command in this file's docstring."
    )
  table = json.loads(ZERO_SHOT.read_text())
  sizes = [s for s in SIZES if f"web-{s}" in table]
  if not sizes:
    raise ValueError(f"{ZERO_SHOT} scores none of web-{', web-'.join(SIZES)}; rerun zero_shot.")
  return {
    "seeds": (0, 1, 2, 3, 4),
    "points": [
      {
        "name": f"web-{size}",
        "reward.model": f"web-{size}",
        "reward.threshold": round(table[f"web-{size}"]["corpus_beta"]["threshold"], 6),
        "total_frames": FRAMES,
      }
      for size in sizes
    ],
  }
