"""The CLIP-size study on Lift (issue 13; the analogue of the paper's Fig. 4): XS, S, M, L,
3 seeds each, every size at its own threshold from one rule (`experiments.analysis.calibrate`).

  make study-lift-sizes     # pretrain the sizes, calibrate, sweep, aggregate (the whole study)

or its last step alone, once runs/lift_sizes/calibration.json exists:

  python -m experiments.sweep --config=experiments/configs/playhouse_lift.py \
      --sweep=studies/lift_sizes/sweep.py --workdir=runs/lift_sizes/sweep

The frame budget (500k frames per run) is what the 2-core CPU affords for 12 runs; at paper
scale on an accelerator change `FRAMES` (and the config's num_envs) only.
"""

import json
import pathlib

CALIBRATION = pathlib.Path("runs/lift_sizes/calibration.json")
SIZES = ("XS", "S", "M", "L")
FRAMES = 500_000


def get_sweep():
  if not CALIBRATION.is_file():
    raise FileNotFoundError(
      f"{CALIBRATION} is missing: the sweep takes each size's threshold from it. Make it with "
      "`make study-lift-sizes` (or its calibrate step: see the Makefile)."
    )
  models = json.loads(CALIBRATION.read_text())["models"]
  # The sizes calibrated so far, in order (a sweep may grow at its end: calibrate the larger
  # sizes once trained and rerun; the finished points are skipped).
  sizes = SIZES[: next((i for i, s in enumerate(SIZES) if s not in models), len(SIZES))]
  if not sizes:
    raise ValueError(f"{CALIBRATION} has no threshold for {SIZES[0]}; rerun the calibration.")
  return {
    "seeds": (0, 1, 2),
    "points": [
      {
        "name": size,
        "reward.model": models[size]["model"],
        "reward.threshold": models[size]["beta"],
        "total_frames": FRAMES,
        "eval_every_calls": 20,
      }
      for size in sizes
    ],
  }
