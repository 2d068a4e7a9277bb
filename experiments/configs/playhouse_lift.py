"""Lift goals ("Lift a blue mug") in a one-room house, rewarded by the bundled CLIP.

  python -m experiments.train --config=experiments/configs/playhouse_lift.py --workdir=runs/lift

Lift needs a longer horizon than Find (reach the object, face it, grab), so episodes and the
run are longer; everything else is the main job's config.
"""

import ml_collections

from experiments.configs import playhouse_find


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = playhouse_find.get_config(arg)
  c.env.families = ("lift",)
  c.env.max_steps = 64
  c.agent.network.lstm_size = 128  # remembering what was seen helps once the object is out of view
  if arg != "smoke":
    c.total_frames = 4_000_000
  return c
