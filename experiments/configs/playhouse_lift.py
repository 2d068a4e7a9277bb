"""Lift goals ("Lift a blue mug") in a one-room house, rewarded by the bundled CLIP.

  python -m experiments.train --config=experiments/configs/playhouse_lift.py --workdir=runs/lift

Lift needs a longer horizon than Find (reach the object, face it, grab), so episodes and the
run are longer; everything else is the main job's config but the reward's negatives.

The hard negative of Lift is the target close in front but not held: contrasted only with the
other Lift goals, such a frame gives "Lift a blue mug" most of the probability, and the reward
fires on it. So every Lift goal is also contrasted with the fixed prompts "<object> on the
floor" for all 108 objects (`FLOOR_NEGATIVES`; the CLIP is trained on such captions of near,
not held objects: `experiments/pretraining/clip_data.py`). Beta 0.5, chosen before the runs:
the smallest of 0.1, 0.2, ... at which a CLIP retrained with those captions fires on none of
the offline near-but-not-held frames (studies/lift_floor/README.md).
"""

import ml_collections

from envs.playhouse.goals import object_phrases
from experiments.configs import playhouse_find

FLOOR_NEGATIVES = object_phrases("{a} on the floor")


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = playhouse_find.get_config(arg)
  c.env.families = ("lift",)
  c.env.max_steps = 64
  c.agent.network.lstm_size = 128  # remembering what was seen helps once the object is out of view
  c.reward.extra_negatives = FLOOR_NEGATIVES
  c.reward.threshold = 0.5
  if arg != "smoke":
    c.total_frames = 4_000_000
  return c
