"""The corridor (examples/corridor_env.py) through the fused trainer, at the sizes of a
seconds-long run (8 compiled calls):

  python -m experiments.train --config=examples/corridor_config.py \
      --config.reward.source=ground_truth --workdir=/tmp/corridor

The environment is named by import path, so the registry needs no entry for it. The reward's
CLIP is the main job's bundled one, which has never seen the corridor, so its reward there
means nothing: train on the ground truth, as above, or give a CLIP that knows the corridor
with `--config.reward.model` (the tests give a tiny random one, since they check the wiring,
not the reward).
"""

from experiments.configs import playhouse_find


def get_config():
  c = playhouse_find.get_config("smoke")
  c.env = {"name": "examples.corridor_env:Corridor", "max_steps": 6}
  c.total_frames = 8 * 8 * 2 * 8  # 8 compiled calls
  c.eval_every_calls = 1000  # evaluation at the start and the end only
  c.checkpoint_every_calls = 2
  c.checkpoints_to_keep = 5
  c.quiet = True  # no progress bar: the run takes seconds
  return c
