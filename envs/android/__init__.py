"""The AndroidEnv bridge: "open app" tasks on DeepMind's `android_env`, with CLIP rewards.

simulator.py  `LauncherSimulator`, an android_env `BaseSimulator` that draws the JAX launcher
              of `envs/launcher/` (the same code, no second renderer), applies android_env
              touch events, and answers the adb requests an "open app" task uses;
task.py       the "open app" task as an android_env `Task` proto (reset: one shell command,
              HOME and close the goal apps);
bridge.py     `OpenAppEnv`, a goal-conditioned wrapper around any android_env environment
              (this simulator's, or an emulator's): discrete actions, CLIP reward on each new
              screenshot, ground truth from the foreground app's package over adb (measured,
              never given to the learner); `load_launcher_env` builds the simulator's;
geometry.py   a device's screen in the agent's frame (aspect kept, black bars) and the frame's
              taps on the screen;
emulator.py   real emulators for android_env: a read-only instance of an AVD per environment
              on ports of its own, or attached running ones; snapshots; `load_emulator_env`.
"""

import importlib.util

if importlib.util.find_spec("android_env") is None:
  raise ImportError(
    "envs.android needs DeepMind's android_env, which the core install leaves out: install the "
    "'android' extra (pip install 'vlm-rewards[android]', or `make install`, whose lock has it)."
  )
