"""Open Common Apps on the JAX launcher, rewarded by the bundled phone-screen CLIP only.

  python -m experiments.train --config=experiments/configs/launcher_common.py \
      --workdir=runs/launcher_common
  python -m experiments.train --config=experiments/configs/launcher_common.py:smoke --workdir=/tmp/x
  python -m experiments.train --config=experiments/configs/launcher_common.py:gpu --workdir=...

The default is the scale that learned in the fewest frames (studies/launcher_gpu/README.md):
16 environments, updates of 256 frames. `:gpu` is the throughput scale for
an accelerator: 512 environments, 8 updates of 8,192 frames per compiled call, the CLIP in
bf16.

Goals: "Open <app>" for the 10 common apps (envs/launcher/apps.py); all 60 apps are installed,
so the other 50 are distractors. Held-out evaluation (goal pool 1): fresh layouts on wallpapers
that no training frame showed (the agent's or the CLIP's).

Reward: template D, "Screenshot of {app} on Android" (the paper's best), against the other 9
goals as negatives, at the CLIP's learned temperature; threshold and torso as measured in
studies/launcher_gpu/README.md. Agent: a pixel torso with spatial FiLM and a head over
the screen's tap grid, a shorter discount and more entropy than the house's.
"""

import ml_collections

from envs.launcher import apps, layout
from experiments.configs import base


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  if arg not in (None, "smoke", "gpu"):
    raise ValueError(
      f"Unknown config argument {arg!r}: this config takes ':smoke', ':gpu' or nothing."
    )
  c = base.get_config()
  c.env = ml_collections.ConfigDict(
    dict(name="launcher", task="common", num_pages=3, occupancy=0.6, max_steps=32)
  )
  c.reward.update(
    dict(
      model="bundled-android",
      template="android_d",
      threshold=0.7,
      baseline_prompt="a phone home screen with app icons",
      # Fixed negative prompts besides the other goals: the apps that are not goals, the home
      # screen and the drawer, in the same template (without them, a distractor app's screen
      # wins the softmax over the goals alone, and the reward fires on it).
      extra_negatives=apps.other_screens("common"),
    )
  )
  c.agent.network.update(
    dict(torso="cnn", goal_conditioning="spatial_film", tap_grid=(layout.ROWS, layout.COLS))
  )
  c.agent.learner.entropy_cost = 0.01
  c.learner_discount = 0.9
  c.num_envs = 16
  c.updates_per_call = 4
  # Unrolled: XLA's CPU backend runs the pixel torso's convolution gradients many times slower
  # inside a loop (the scan over a call's updates) than outside one (docs/launcher.md). Costs
  # compile time; on GPU/TPU set it False.
  c.unroll_updates = True
  c.log_every_calls = 20
  c.eval_every_calls = 80  # 82k frames
  c.checkpoint_every_calls = 80
  if arg == "gpu":
    c.num_envs, c.updates_per_call, c.eval_envs = 512, 8, 512
    c.log_every_calls, c.eval_every_calls, c.checkpoint_every_calls = 5, 20, 20
    c.unroll_updates = False
    c.reward.bf16 = True
    c.total_frames = 6_000_000
  return base.smoke(c) if arg == "smoke" else c
