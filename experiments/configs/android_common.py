"""Open Common Apps through DeepMind's android_env, trained by the Sebulba actor-learner.

  python -m experiments.sebulba --config=experiments/configs/android_common.py --workdir=DIR
  python -m experiments.sebulba --config=experiments/configs/android_common.py:smoke --workdir=DIR

`env.name` picks the host environments (`experiments/registry.py`, `HOST_ENVS`):
"android_launcher" runs android_env on our launcher simulator (no emulator needed);
"android_emulator" runs it on real emulators, `env.emulator` (`EmulatorSettings` of
envs/android/emulator.py: the AVD, read-only instances one per environment, or `attach` to
running ones; snapshot, gpu_mode, kvm_device, interaction_rate_sec; docs/android.md).
`env.match` is the ground truth: the goal app's "package" (any of its activities) or exact
"activity"; `env.tap_region` (top, left, bottom, right screen fractions) puts the tap grid on
a real launcher's icon area instead of the frame's cells. `:host` runs the actors on the JAX
launcher itself (`envs.host.JaxEnvBatch`: one jitted step per actor step, no android_env), the
Sebulba layout at the launcher's own speed. Reward and agent are `launcher_common.py`'s (VLM
reward only, template D, the bundled phone CLIP; cnn torso with spatial FiLM and the tap-grid
head); ground truth is measured from the foreground app over adb.
"""

import ml_collections

from experiments.configs import base, launcher_common


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
      match="package",
      tap_region=None,
      emulator=dict(  # android_emulator only
        avd_name="",
        sdk_root="~/Android/Sdk",
        avd_home="~/.android/avd",
        snapshot="",
        gpu_mode="swangle_indirect",
        kvm_device="/dev/kvm",
        read_only=True,
        interaction_rate_sec=0.0,
        attach="",
      ),
    )
  )
  c.sebulba = base.sebulba()
  c.unroll_length = 16
  c.total_frames = 200_000
  if arg == "host":  # the JAX launcher stepped by the actors, without android_env
    c.env = launcher_common.get_config().env
    c.sebulba.envs_per_actor = 16
    c.total_frames = 1_500_000
  if arg == "smoke":
    c.sebulba.update(dict(envs_per_actor=2, log_every_updates=1, checkpoint_every_updates=2))
    c.env.max_steps, c.env.scale = 4, 1
    c.unroll_length = 4
    c.total_frames = 2 * 4 * 4
  return c
