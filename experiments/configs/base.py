"""What every training config shares: the run's sizes and bookkeeping, the IMPALA agent, the
VLM reward's rules, and Sebulba's actor layout. Not a config of its own (it names no env):
each config file starts from `get_config()`, adds its env and the reward's model, prompts
and threshold, and changes only what its task needs; `smoke()` then shrinks any of them to a
seconds-long run.

The defaults are the main job's (playhouse_find.py), where the reasons for them are given.
"""

import ml_collections
from ml_collections import config_dict


def get_config() -> ml_collections.ConfigDict:
  """The shared keys (unlocked: configs add theirs)."""
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.reward = ml_collections.ConfigDict(
    dict(
      source="vlm",  # vlm | cosine | goal_baseline | ground_truth (a sanity baseline only)
      bf16=False,
      num_negatives=config_dict.placeholder(int),  # default: min(#goals - 1, 32)
      negatives_seed=0,  # the draw of the fixed negatives: part of the reward, not of `seed`
      temperature=config_dict.placeholder(float),  # default: the CLIP's learned temperature
      alpha=0.5,  # source=goal_baseline: the projection's strength
      extra_negatives=(),  # fixed prompts contrasted with every goal besides the negatives
    )
  )
  c.agent = ml_collections.ConfigDict(
    dict(
      name="impala",  # experiments/registry.py
      network=dict(torso="clip_embedding", hidden_size=128, lstm_size=0, goal_conditioning="film"),
      learner=dict(
        learning_rate=1e-3,
        lr_schedule="linear",
        entropy_cost=0.003,
        baseline_cost=0.5,
        max_grad_norm=40.0,
        actor_lag=False,
      ),
    )
  )
  c.learner_discount = 0.97
  c.num_envs = 64
  c.unroll_length = 16
  c.updates_per_call = 8
  c.total_frames = 1_500_000
  # Horizon of the learning-rate schedule (agent.learner.lr_schedule), fixed when a run
  # starts: 0 is the run's total_frames. A resume that raises total_frames keeps it, so the
  # updates done stay on their schedule (a decaying one then stays at its final value, 0).
  c.schedule_frames = 0
  c.eval_envs = 128
  c.log_every_calls = 4
  c.eval_every_calls = 40
  c.checkpoint_every_calls = 40
  c.checkpoints_to_keep = 2
  c.max_abs_loss = 1e6  # a loss beyond this (or not finite) stops the run: divergence
  c.quiet = False
  # A GIF of evaluation episodes every this many evaluations, kept in gifs/ and shown in
  # TensorBoard (0: only eval.gif at the end). returns.png is redrawn at every evaluation.
  c.gif_every_evals = 10
  c.logger = ml_collections.ConfigDict(
    dict(
      wandb=False,  # True: a Weights & Biases run mirrors TensorBoard (the 'wandb' extra)
      wandb_project="vlm-rewards",
      wandb_entity=config_dict.placeholder(str),  # default: the W&B account's own
    )
  )
  return c


def smoke(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """`c` at the sizes of a seconds-long run (three compiled calls of two small updates), for
  checking that a config runs end to end; returns `c`."""
  c.num_envs, c.unroll_length, c.updates_per_call = 8, 8, 2
  c.total_frames = 8 * 8 * 2 * 3
  c.eval_envs = 8
  c.log_every_calls = c.eval_every_calls = c.checkpoint_every_calls = 1
  return c


def sebulba(**overrides) -> ml_collections.ConfigDict:
  """Sebulba's keys (`config.sebulba`, experiments/sebulba.py), with `overrides`."""
  s = ml_collections.ConfigDict(
    dict(
      actors="threads",  # or "processes" (this machine), "ray" (a Ray cluster)
      num_actors=2,
      envs_per_actor=8,
      params_every_updates=1,  # the learner publishes acting parameters this often
      actor_platform="",  # processes / Ray: JAX_PLATFORMS of the actors ("cpu"); "" inherits
      ray_address="",  # ray: the cluster's address ("auto" on a cluster node); "" starts one
      ray_actor_cpus=1,  # ray: CPUs Ray reserves for each actor
      queue_size=2,  # rollouts waiting for the learner; actors block beyond it
      max_actor_restarts=20,  # environment errors in all before the run stops
      log_every_updates=5,
      checkpoint_every_updates=50,
    )
  )
  s.update(overrides)
  return s
