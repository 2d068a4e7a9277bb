"""The AndroidEnv bridge: "open app" tasks on DeepMind's `android_env`, with CLIP rewards.

simulator.py  `LauncherSimulator`, an android_env `BaseSimulator` that draws the JAX launcher
              of `envs/launcher/` (the same code, no second renderer), applies android_env
              touch events, and answers the adb requests an "open app" task uses;
task.py       the "open app" task as an android_env `Task` proto (reset: HOME, close apps);
bridge.py     `OpenAppEnv`, a goal-conditioned wrapper around any android_env environment
              (this simulator's, or an emulator's): discrete actions, CLIP reward on each new
              screenshot, ground truth from the foreground activity over adb (measured, never
              given to the learner); `load_launcher_env` and `load_emulator_env` build one.
"""

import importlib.util

if importlib.util.find_spec("android_env") is None:
  raise ImportError(
    "envs.android needs DeepMind's android_env, which the core install leaves out: install the "
    "'android' extra (pip install 'vlm-rewards[android]', or `make install`, whose lock has it)."
  )
