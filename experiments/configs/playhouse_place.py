"""Pick-and-place goals ("Put a red duck next to a blue mug") in a one-room house.

  python -m experiments.train --config=experiments/configs/playhouse_place.py --workdir=runs/place

The main job's config with the Pick-and-place family, Lift's longer episodes and memory, and
per-goal negatives (`reward.goal_negatives`): besides 32 other Pick-and-place goals, each goal
is contrasted with the states of its own objects that are not success (`STATE_NEGATIVES`,
filled with the goal's target and reference).

- "holding / carrying <target>", "<target> and <reference> apart / far from": contrasted only
  with other goals, carrying the target towards the reference scored highest of all (README,
  "Pick-and-place").
- "<reference> in view": with the above alone, the reward fired on frames that show the
  reference and nothing else (34 of 16,384 random-walk frames at beta 0.5, all false); with
  it, 2 at beta 0.4.

The fixed prompts of every goal (all 108 "holding" and 5,778 "apart" prompts, the config
until 2026-11-27) spread the goal's probability over ~5,900 prompts, and the reward never
fired online. Beta 0.4, chosen by hand from the calibration sweep, is the smallest of 0.1,
0.2, ... at which random-walk frames fire only twice in 16,384 (37 times at 0.3), with
oracle-mix precision 0.92, recall 0.10 per frame; the 0.99 precision rule of
`experiments.analysis.calibrate` is met by no beta for this family. No agent has learned the family
with it: at 4M frames (33 min on 2 cores) held-out success is 0.02 and 12 of 232 fires were
successes, while ground truth reaches 0.29 in 4M frames. On that agent's placements the reward
has AP 0.04-0.15: it was fine-tuned on the oracle's side-by-side view (README, "Per-goal
negatives").
"""

import ml_collections

from experiments.configs import playhouse_lift

# Per goal, the states of its own two objects that are not success (`reward.goal_negatives`).
STATE_NEGATIVES = (
  "holding {target}",
  "carrying {target}",
  "{target} and {reference} apart",
  "{target} far from {reference}",
  "{reference} in view",
)


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = playhouse_lift.get_config(arg)
  c.env.families = ("place",)
  c.reward.extra_negatives = ()
  c.reward.goal_negatives = STATE_NEGATIVES
  c.reward.threshold = 0.4
  return c
