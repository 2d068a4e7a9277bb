"""Open Diverse Apps (all 60 apps as goals) on the JAX launcher, bundled phone CLIP reward only.

  python -m experiments.train --config=experiments/configs/launcher_diverse.py \
      --workdir=runs/launcher_diverse

The common config with the 60-app goal set: each goal is contrasted with the 59 other goals
(all of them) and the home screen and drawer, and the run is longer: six times the goals take
more frames to learn (studies/launcher_gpu/README.md).
"""

import ml_collections

from envs.launcher import apps
from experiments.configs import launcher_common


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = launcher_common.get_config(arg)
  c.env.task = "diverse"
  c.reward.extra_negatives = apps.other_screens("diverse")  # home screen and drawer
  c.reward.num_negatives = 59  # every other app (text embeddings cost nothing per step)
  if arg is None:
    c.total_frames = 2_000_000
  if arg == "gpu":
    c.total_frames = 12_000_000
  return c
