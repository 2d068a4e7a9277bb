"""The command-line flags that the training entry points share (absl defines a flag once per
process, so `experiments/train.py`, `experiments/sebulba.py`, `experiments/sweep.py` and
`experiments/pretrain_clip.py` take theirs from here), and the flag parser they run with."""

import difflib
import importlib.util
import re
import sys

from absl import flags
from ml_collections import config_dict, config_flags

CONFIG = config_flags.DEFINE_config_file("config", None, "Path to a config file.")
WORKDIR = flags.DEFINE_string("workdir", None, "Where metrics, checkpoints and plots go.")
RESUME = flags.DEFINE_bool("resume", False, "Continue from the latest checkpoint in workdir.")
RESTART = flags.DEFINE_bool(
  "restart", False, "Start over in a workdir that holds a run (the old run is moved aside)."
)
UNCHECKED_CONFIG = flags.DEFINE_bool(
  "unchecked_config",
  False,
  "With --resume, continue a run whose config.json is missing, with the config as given.",
)


def parse(argv: list[str]) -> list[str]:
  """absl's flag parsing (`app.run(main, flags_parser=flags_lib.parse)`), with one-line
  errors: an unknown `--config.key` is named with the closest valid key, a bad flag value
  with absl's message; both exit with status 2."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:  # a config file that fails to load embeds its whole traceback
    lines = [line for line in str(e).splitlines() if line.strip()]
    message = lines[0] if len(lines) == 1 else f"{lines[0]} {lines[-1]}"
  except (AttributeError, KeyError, TypeError, ValueError) as e:  # a --config.x override
    try:
      message = unknown_override(argv) or f"{type(e).__name__}: {e}"
    except Exception as bad_config:  # the config file itself fails: its own message
      message = f"--config: {bad_config}"
  print(f"error: {message}", file=sys.stderr)
  sys.exit(2)


def with_default_config(argv: list[str], spec: str) -> list[str]:
  """`argv` with `--config=spec` where it names no config (an entry point's default)."""
  if any(a.startswith("--config=") for a in argv):
    return argv
  return [argv[0], f"--config={spec}", *argv[1:]]


def unknown_override(argv: list[str]) -> str | None:
  """The message for the first `--config.key=value` of `argv` whose key the config (the
  `--config` file with its argument) lacks, naming the closest valid key; None if all exist."""
  spec = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), None)
  if spec is None:
    return None
  config = load_config(spec)
  keys = sorted(_keys(config))
  for arg in argv:
    match = re.fullmatch(r"--config\.([\w.]+)(=.*)?", arg)
    if match and match[1] not in keys:
      close = difflib.get_close_matches(match[1], keys, n=1, cutoff=0.5)
      hint = f"; did you mean --config.{close[0]}?" if close else ""
      return f"--config.{match[1]}: the config {spec} has no key {match[1]!r}{hint}"
  return None


def load_config(spec: str) -> config_dict.ConfigDict:
  """The config of a `--config` value, `path[:argument]`."""
  path, _, arg = spec.partition(":")
  module_spec = importlib.util.spec_from_file_location("_checked_config", path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module.get_config(arg) if arg else module.get_config()


def _keys(config, prefix: str = "") -> list[str]:
  out = []
  for key, value in config.items():
    out.append(prefix + key)
    if isinstance(value, config_dict.ConfigDict):
      out.extend(_keys(value, f"{prefix}{key}."))
  return out
