"""Lift with the "<object> on the floor" negatives, 3 seeds per CLIP (issue 13's Lift check).

  python -m experiments.sweep --config=experiments/configs/playhouse_lift.py \
      --config.total_frames=1000000 --sweep=studies/lift_floor/sweep.py \
      --workdir=runs/sweeps/lift_floor

`bundled`: the bundled CLIP (trained without "on the floor" captions); `S_floor`: the same
recipe retrained with them (`python -m experiments.pretrain_clip
--config=experiments/configs/pretrain_clip.py:S`, which writes runs/pretrain_clip/S/model).
"""


def get_sweep():
  return {
    "seeds": (0, 1, 2),
    "points": [
      {"name": "bundled"},
      {"name": "S_floor", "reward.model": "runs/pretrain_clip/S/model"},
    ],
  }
