"""Open Common Apps through DeepMind's android_env, trained by the Sebulba actor-learner.

  python -m experiments.sebulba --config=experiments/configs/android_common.py --workdir=DIR
  python -m experiments.sebulba --config=experiments/configs/android_common.py:smoke --workdir=DIR

`:host` runs the actors on the JAX launcher itself (`sebulba.JaxEnvBatch`: one jitted step
per actor step, no android_env), the Sebulba layout at the launcher's own speed.
`env.name="android_launcher"` runs android_env on our launcher simulator (no emulator needed);
`env.name="android_emulator"` with `env.avd_name` (and `env.sdk_root`) runs it on a real
emulator (README, "The AndroidEnv bridge"). Reward and agent are `launcher_common.py`'s (VLM
reward only, template D, the bundled phone CLIP; cnn torso with spatial FiLM and the tap-grid
head); ground truth is measured from the foreground activity over adb.
"""

import ml_collections

from experiments.configs import launcher_common


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  if arg not in (None, "smoke", "host"):
    raise ValueError(
      f"Unknown config argument {arg!r}: this config takes ':smoke', ':host' or nothing."
    )
  c = launcher_common.get_config()
  c.env = ml_collections.ConfigDict(
    dict(
      name="android_launcher",
      task="common",
      max_steps=32,
      scale=4,  # the simulator's screenshots: 480 x 256
      pool=0,
      avd_name="",  # android_emulator only
      sdk_root="~/Android/Sdk",
    )
  )
  c.sebulba = ml_collections.ConfigDict(
    dict(
      num_actors=2,
      envs_per_actor=8,
      queue_size=2,  # rollouts waiting for the learner; actors block beyond it
      max_actor_restarts=20,
      log_every_updates=5,
      checkpoint_every_updates=50,
    )
  )
  c.unroll_length = 16
  c.total_frames = 200_000
  if arg == "host":  # the JAX launcher stepped by the actors, without android_env
    c.env = launcher_common.get_config().env
    c.sebulba.update(num_actors=2, envs_per_actor=16)
    c.total_frames = 1_500_000
  if arg == "smoke":
    c.sebulba.update(num_actors=2, envs_per_actor=2, log_every_updates=1)
    c.sebulba.checkpoint_every_updates = 2
    c.env.max_steps, c.env.scale = 4, 1
    c.unroll_length = 4
    c.total_frames = 2 * 4 * 4
  return c
