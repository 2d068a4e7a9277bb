"""The command-line flags that the training entry points share (absl defines a flag once per
process, so `experiments/train.py` and `experiments/sebulba.py` take theirs from here)."""

from absl import flags
from ml_collections import config_flags

CONFIG = config_flags.DEFINE_config_file("config", None, "Path to a config file.")
WORKDIR = flags.DEFINE_string("workdir", None, "Where metrics, checkpoints and plots go.")
RESUME = flags.DEFINE_bool("resume", False, "Continue from the latest checkpoint in workdir.")
RESTART = flags.DEFINE_bool(
  "restart", False, "Start over in a workdir that holds a run (the old run is moved aside)."
)
