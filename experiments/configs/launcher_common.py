"""Open Common Apps on the JAX launcher, rewarded by the bundled phone-screen CLIP only.

  python -m experiments.train --config=experiments/configs/launcher_common.py \
      --workdir=runs/launcher_common
  python -m experiments.train --config=experiments/configs/launcher_common.py:smoke --workdir=/tmp/x
  python -m experiments.train --config=experiments/configs/launcher_common.py:gpu --workdir=...

The default is the scale that learned in the fewest frames on one H200 (README, "Launcher:
learning from the VLM reward"): 16 environments, updates of 256 frames, held-out success 0.81
at 1.15M frames and 0.99 at 1.27M (seed 0; seed 1 plateaued at 0.53). `:gpu` is the throughput
scale: 512 environments, 8 updates of 8,192 frames per compiled call, the CLIP in bf16; 1.0 at
5.2-6.0M frames, 15-20 s of training on one H200.

Goals: "Open <app>" for the 10 common apps (envs/launcher/apps.py); all 60 apps are installed,
so the other 50 are distractors. Held-out evaluation (goal pool 1): fresh layouts on wallpapers
that no training frame showed (the agent's or the CLIP's).

Reward: template D, "Screenshot of {app} on Android" (the paper's best), against the other 9
goals as negatives, at the CLIP's learned temperature; threshold and torso as measured in the
README ("Launcher: Open Common Apps").
"""

import ml_collections
from ml_collections import config_dict

from envs.launcher import apps, layout


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  if arg not in (None, "smoke", "gpu"):
    raise ValueError(
      f"Unknown config argument {arg!r}: this config takes ':smoke', ':gpu' or nothing."
    )
  c = ml_collections.ConfigDict()
  c.seed = 0
  c.env = ml_collections.ConfigDict(
    dict(name="launcher", task="common", num_pages=3, occupancy=0.6, max_steps=32)
  )
  c.reward = ml_collections.ConfigDict(
    dict(
      source="vlm",
      model="bundled-android",
      bf16=False,
      template="android_d",
      num_negatives=config_dict.placeholder(int),
      negatives_seed=0,
      temperature=config_dict.placeholder(float),
      threshold=0.7,
      baseline_prompt="a phone home screen with app icons",
      alpha=0.5,
      # Fixed negative prompts besides the other goals: the apps that are not goals, the home
      # screen and the drawer, in the same template (without them, a distractor app's screen
      # wins the softmax over the goals alone: precision 0.78 instead of 1.0 offline).
      extra_negatives=apps.other_screens("common"),
    )
  )
  c.agent = ml_collections.ConfigDict(
    dict(
      name="impala",
      network=dict(
        torso="cnn",
        hidden_size=128,
        lstm_size=0,
        goal_conditioning="spatial_film",
        tap_grid=(layout.ROWS, layout.COLS),
      ),
      learner=dict(
        learning_rate=1e-3,
        lr_schedule="linear",
        entropy_cost=0.01,
        baseline_cost=0.5,
        max_grad_norm=40.0,
        actor_lag=False,
      ),
    )
  )
  c.learner_discount = 0.9
  c.num_envs = 16
  c.unroll_length = 16
  c.updates_per_call = 4
  # Unrolled: XLA's CPU backend runs the pixel torso's convolution gradients about 15x slower
  # inside a loop (the scan over a call's updates) than outside one (2 updates: 54 s rolled,
  # 3.5 s unrolled). Costs compile time (25 s for 4 updates); on GPU/TPU set it False.
  c.unroll_updates = True
  c.total_frames = 1_500_000
  c.eval_envs = 128
  c.log_every_calls = 20
  c.eval_every_calls = 80  # 82k frames
  c.checkpoint_every_calls = 80
  c.checkpoints_to_keep = 2
  c.max_abs_loss = 1e6
  c.quiet = False
  if arg == "gpu":
    c.num_envs, c.updates_per_call, c.eval_envs = 512, 8, 512
    c.log_every_calls, c.eval_every_calls, c.checkpoint_every_calls = 5, 20, 20
    c.unroll_updates = False
    c.reward.bf16 = True
    c.total_frames = 6_000_000
  if arg == "smoke":
    c.num_envs, c.unroll_length, c.updates_per_call = 8, 8, 2
    c.total_frames = 8 * 8 * 2 * 3
    c.eval_envs = 8
    c.log_every_calls = c.eval_every_calls = c.checkpoint_every_calls = 1
  return c
