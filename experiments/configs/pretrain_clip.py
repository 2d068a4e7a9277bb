"""Contrastive pretraining of the project's small CLIPs on captioned Playhouse frames.

  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:S
  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:XS,smoke
  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:S \
      --config.export_dir=vlm_rewards/assets/bundled_clip        # the bundled model

The argument is a size preset (XS, S, M, L; `vlm_rewards.pretrain.PRESETS`), optionally
followed by `,smoke` for a seconds-long run or `,family` for the shorter recipe of the
scaling study (every size trained alike; see the bundled model card for why it is shorter).
Any field can be overridden with --config.x=y.
"""

import ml_collections

# Training steps per size: the larger towers are slower per step, so they get the same
# number of steps (same data seen) rather than the same wall-clock. On the 2-core machine the
# train step takes ~0.7 s for S (the bundled model, ~20 min unshared); XS ~0.2 s, M ~1.3 s
# and L ~1.8 s, so M and L at this recipe need 35-45+ minutes each.
NUM_STEPS = {"XS": 1500, "S": 1500, "M": 1500, "L": 1500}
FAMILY_STEPS = 400  # the scaling study's shorter recipe (batch 128), the same for every size


def get_config(arg: str = "S") -> ml_collections.ConfigDict:
  size, *flags = arg.split(",")
  smoke, family = "smoke" in flags, "family" in flags
  c = ml_collections.ConfigDict()
  c.size = size
  c.seed = 0
  c.workdir = f"runs/pretrain_clip/{'family/' if family else ''}{size}"
  c.export_dir = ""  # also save the final model here (e.g. vlm_rewards/assets/bundled_clip)
  c.max_text_length = 32  # the text tower's positions (goal strings are short)
  c.caption_tokens = 20  # captions are padded to this (causal text tower: padding is inert)
  c.batch_size = 128 if family else 256
  c.num_steps = 40 if smoke else (FAMILY_STEPS if family else NUM_STEPS[size])
  c.learning_rate = 1e-3
  c.warmup_steps = 5 if smoke else (40 if family else 150)
  c.weight_decay = 0.1
  c.checkpoint_every = 20 if smoke else 500
  c.log_every = 10 if smoke else 50
  # Data: rollouts in two house configurations, the benchmark default and the main job's
  # one-room house (experiments/configs/playhouse_find.py), so the bundled model sees both.
  c.data = ml_collections.ConfigDict()
  c.data.num_envs = 16 if smoke else 64
  c.data.episode_steps = 16 if smoke else 64
  c.data.oracle_fraction = 0.7
  c.data.epsilon = 0.15
  c.data.pool_rollouts = (
    2 if smoke else (6 if family else 12)
  )  # frames in the pool = rollouts * envs * steps
  c.data.refresh_every = 10 if smoke else 100  # steps between replacing one rollout's frames
  c.data.small_house_fraction = 0.5  # share of rollouts in the one-room house
  c.lock()
  return c
