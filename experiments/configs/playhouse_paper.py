"""The paper-scale run, for accelerator users: all three goal families in multi-room houses.

  python -m experiments.train --config=experiments/configs/playhouse_paper.py --workdir=DIR

A real CLIP by hub id (needs the hub, or pass a local folder with --config.reward.model=PATH),
the IMPALA ResNet torso on pixels with an LSTM core, 150M frames as in the paper's Fig. 4.
"""

import ml_collections

from experiments.configs import playhouse_find


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  c = playhouse_find.get_config(arg)
  c.env.update(
    dict(
      grid_size=12,
      min_rooms=1,
      max_rooms=4,
      num_objects=8,
      num_furniture=4,
      max_steps=128,
      families=("find", "lift", "place"),
    )
  )
  c.reward.model = "openai/clip-vit-base-patch32"
  c.reward.bf16 = True
  c.reward.template = "photo"
  c.agent.network.update(
    dict(
      torso="impala_resnet",
      hidden_size=256,
      lstm_size=256,
      goal_conditioning="film",
      dtype="bfloat16",
    )
  )
  c.agent.learner.update(dict(learning_rate=3e-4, lr_schedule="linear", entropy_cost=0.003))
  c.learner_discount = 0.99
  if arg != "smoke":
    c.num_envs, c.unroll_length, c.updates_per_call = 1024, 32, 10
    c.total_frames = 150_000_000
    c.eval_envs = 1024
    c.log_every_calls, c.eval_every_calls, c.checkpoint_every_calls = 5, 50, 50
  return c
