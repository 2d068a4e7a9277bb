"""Optional dependencies: imported where they are used, with an error that names the extra."""

import importlib
import types

# Extras of setup.py that the pinned lock (requirements.txt, what `make install` installs) has.
IN_LOCK = ("android", "sweep")


def require(module: str, extra: str, purpose: str) -> types.ModuleType:
  """Imports `module`, or raises ImportError naming the setup.py extra that provides it.

  Args:
    module: the module to import ("rliable", "wandb").
    extra: the extra of setup.py that installs it.
    purpose: what needs it, as the start of a sentence ("Sweep aggregation").
  """
  try:
    return importlib.import_module(module)
  except ImportError as e:
    lock = " or `make install`, whose lock has it" if extra in IN_LOCK else ""
    raise ImportError(
      f"{purpose} needs {module!r}, which is not installed ({e}). Install the {extra!r} extra: "
      f"pip install 'vlm-rewards[{extra}]' (from a clone: pip install -e '.[{extra}]'){lock}."
    ) from e
