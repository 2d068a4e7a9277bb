"""Pick-and-place goals ("Put a red duck next to a blue mug") in a one-room house.

  python -m experiments.train --config=experiments/configs/playhouse_place.py --workdir=runs/place

The main job's config with the Pick-and-place family, Lift's longer episodes and memory, and
per-goal negatives (`reward.goal_negatives`): besides 32 other Pick-and-place goals, each goal
is contrasted with the states of its own objects that are not success (`STATE_NEGATIVES`,
filled with the goal's target and reference).

- "holding / carrying <target>", "<target> and <reference> apart / far from": contrasted only
  with other goals, carrying the target towards the reference scores highest of all.
- "<reference> in view": with the above alone, the reward fires on frames that show the
  reference and nothing else.

Per goal, not for every goal: the same prompts filled with every object and pair (thousands
of them) spread each goal's probability so thin that the reward never fires online. Beta 0.4,
chosen by hand from the calibration sweep: the smallest of 0.1, 0.2, ... at which random-walk
frames almost never fire; the 0.99 precision rule of `experiments.analysis.calibrate` is met
by no beta for this family. What this reward teaches an agent, and why not more:
studies/place/README.md.
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
