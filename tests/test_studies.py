"""The studies' entry points, scripts and sweep files still run against today's code.

The studies (studies/<name>/) are one-off: nothing else imports them, so a renamed module or
function breaks them silently. Their runs take hours; these checks take seconds.
"""

import ast
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from experiments import sweep

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies"

# Imports each module and checks its `main`, in one process to pay the imports once. absl
# defines a flag once per process and studies share flag names (--out, --seed), so each
# module's new flags are removed before the next module is imported.
_CHECK = """
import importlib, json, sys
from absl import flags
for name in json.loads(sys.argv[1]):
  before = set(flags.FLAGS)
  module = importlib.import_module(name)
  assert callable(getattr(module, "main", None)), f"{name} defines no main()"
  for flag in set(flags.FLAGS) - before:
    delattr(flags.FLAGS, flag)
"""


def _entry_points() -> list[str]:
  """`studies.<name>.<module>` of every study module that defines `main`."""
  modules = []
  for path in sorted(STUDIES.glob("*/*.py")):
    tree = ast.parse(path.read_text())
    if any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
      modules.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
  return modules


def test_every_study_entry_point_imports_and_defines_main():
  modules = _entry_points()
  assert len(modules) >= 4, modules  # the scan finds the entry points
  command = [sys.executable, "-c", _CHECK, json.dumps(modules)]
  result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize(
  "script", sorted(p.relative_to(ROOT).as_posix() for p in STUDIES.rglob("*.sh"))
)
def test_study_scripts_parse(script):
  result = subprocess.run(["bash", "-n", script], cwd=ROOT, capture_output=True, text=True)
  assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
  "path", sorted(p.relative_to(ROOT).as_posix() for p in STUDIES.glob("*/sweep*.py"))
)
def test_study_sweeps_load(path, tmp_path, monkeypatch):
  """From a fresh folder; a sweep that reads its study's measurements from runs/<study>/ gets
  the committed ones there (studies/lift_sizes/calibration.json,
  studies/web_clip/zero_shot.json)."""
  study = pathlib.Path(path).parent
  for name, where in (("calibration.json", "."), ("zero_shot.json", "zero_shot")):
    if (ROOT / study / name).is_file():
      (tmp_path / "runs" / study.name / where).mkdir(parents=True, exist_ok=True)
      shutil.copy(ROOT / study / name, tmp_path / "runs" / study.name / where / name)
  monkeypatch.chdir(tmp_path)
  loaded = sweep.load_sweep(ROOT / path)
  assert loaded["seeds"] and loaded["points"], loaded
