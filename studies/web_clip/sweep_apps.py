"""Online "Open common apps" from the frozen zero-shot reward of each web CLIP, for an
accelerator (studies/web_clip/README.md): the launcher's `:gpu` config with the reward model
swapped, each size at the beta the corpus chose for it, 5 seeds each. Not run on the 2-core
CPU, where the launcher trains at about 590 frames/s (studies/android/README.md): 5 seeds x
4 sizes x 6M frames would take about 56 days there.

  python -m experiments.sweep --config=experiments/configs/launcher_common.py:gpu \
      --sweep=studies/web_clip/sweep_apps.py --workdir=runs/web_clip/apps

It reads the betas from the same file as the Find sweep (studies/web_clip/sweep_find.py).
"""

import importlib.util
import pathlib


def get_sweep():
  # By path, not through experiments.sweep: that module is __main__ when this file is loaded.
  path = pathlib.Path(__file__).with_name("sweep_find.py")
  spec = importlib.util.spec_from_file_location("web_clip_sweep_find", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  sweep = module.get_sweep()
  for point in sweep["points"]:
    del point["total_frames"]  # the :gpu config's 6M frames
  return sweep
