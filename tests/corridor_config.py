"""The smallest config of the trainer, for tests that start training processes: the corridor
(tests/corridor.py, by import path) rewarded by a tiny CLIP given with --config.reward.model."""

from experiments.configs import playhouse_find


def get_config():
  c = playhouse_find.get_config("smoke")
  c.env = {"name": "tests.corridor:Corridor", "max_steps": 6}
  c.total_frames = 8 * 8 * 2 * 8  # 8 compiled calls
  c.eval_every_calls = 1000  # evaluation at the start and the end only
  c.checkpoint_every_calls = 2
  c.checkpoints_to_keep = 5
  c.quiet = True
  return c
