"""The install set-up agrees with itself: setup.py declares what the code imports, the
accelerator locks pin the JAX of the CPU lock, the declared ranges hold every version this
project has run with, and `make` names the lock that ACCEL asks for."""

import ast
import importlib.metadata
import pathlib
import re
import runpy
import subprocess
import sys
from unittest import mock

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("vlm_rewards", "envs", "agents", "experiments")
FIRST_PARTY = {*PACKAGES, "examples", "studies", "tests"}


@pytest.fixture(scope="module")
def setup_kwargs() -> dict:
  with mock.patch("setuptools.setup") as setup:
    runpy.run_path(str(ROOT / "setup.py"))
  return setup.call_args.kwargs


def _names(requirements) -> set[str]:
  return {canonicalize_name(Requirement(r).name) for r in requirements}


def _pins(path: pathlib.Path) -> dict[str, str]:
  """{name: version} of a lock file's `name==version` lines (with `name[extra]==`)."""
  pins = {}
  for line in path.read_text().splitlines():
    match = re.match(r"([A-Za-z0-9_.-]+)(\[[\w,]+\])?==([^\s#]+)", line)
    if match:
      pins[canonicalize_name(match[1])] = match[3]
  return pins


def _imports(path: pathlib.Path) -> tuple[set[str], set[str]]:
  """(module-level, all) top-level names of the modules a source file imports."""
  tree = ast.parse(path.read_text())
  top, every = set(), set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names = {alias.name.split(".")[0] for alias in node.names}
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
      names = {node.module.split(".")[0]}
    else:
      continue
    every |= names
    if node in tree.body:
      top |= names
  return top, every


def test_setup_declares_every_distribution_the_code_imports(setup_kwargs):
  core = _names(setup_kwargs["install_requires"])
  optional = set().union(*(_names(r) for r in setup_kwargs["extras_require"].values()))
  owners = importlib.metadata.packages_distributions()
  missing = []
  for package in PACKAGES:
    for path in sorted((ROOT / package).rglob("*.py")):
      top, every = _imports(path)
      # The android bridge is the 'android' extra (envs/android/__init__.py checks for it).
      required = set() if "android" in path.parts else top
      for module in every - FIRST_PARTY - set(sys.stdlib_module_names):
        dists = {canonicalize_name(d) for d in owners.get(module, [])}
        allowed = core if module in required else core | optional
        if not dists & allowed:
          missing.append(f"{path.relative_to(ROOT)}: {module} ({sorted(dists)})")
  assert not missing, missing


def test_core_install_leaves_out_android_env_and_pandas(setup_kwargs):
  core = _names(setup_kwargs["install_requires"])
  assert not core & {"android-env", "pandas", "rliable", "pygame", "grpcio", "torch", "wandb"}
  extras = setup_kwargs["extras_require"]
  assert {"android-env", "pandas", "torch", "pytest-xdist", "tensorboard"} <= _names(extras["test"])


def test_ranges_hold_the_locked_versions_and_the_gpu_runs(setup_kwargs):
  requirements = [Requirement(r) for r in setup_kwargs["install_requires"]]
  declared = {r.name: r.specifier for r in requirements}
  lock = _pins(ROOT / "requirements.txt")
  for name, versions in {"jax": ("0.11.2", lock["jax"]), "flax": ("0.12.10", lock["flax"])}.items():
    for version in versions:
      assert declared[name].contains(version), (name, version, declared[name])
  for name, spec in declared.items():
    if canonicalize_name(name) in lock:
      assert spec.contains(lock[canonicalize_name(name)], prereleases=True), name


@pytest.mark.parametrize("accel", ["cuda12", "tpu"])
def test_accelerator_locks_pin_the_jax_of_the_cpu_lock(accel, setup_kwargs):
  lock, accelerator = _pins(ROOT / "requirements.txt"), _pins(ROOT / f"requirements-{accel}.txt")
  assert accelerator["jax"] == lock["jax"] == lock["jaxlib"]
  text = (ROOT / f"requirements-{accel}.txt").read_text()
  assert "-r requirements.txt" in text and f"jax[{accel}]=={lock['jax']}" in text
  plugins = {k: v for k, v in accelerator.items() if k.startswith("jax-cuda12")}
  assert all(v == lock["jax"] for v in plugins.values()), plugins
  assert accel in setup_kwargs["extras_require"]


def test_make_installs_the_lock_that_accel_names():
  def dry_run(*args):
    command = ["make", "-n", "install", "VENV=/nonexistent/venv", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)

  plain, cuda = dry_run(), dry_run("ACCEL=cuda12", "PYTHON=python3.12")
  assert "-r requirements.txt" in plain.stdout and plain.returncode == 0
  assert "python3.12 -m venv" in cuda.stdout and "-r requirements-cuda12.txt" in cuda.stdout
  wrong = dry_run("ACCEL=gpu")
  assert wrong.returncode != 0 and "use ACCEL=cuda12, ACCEL=tpu" in wrong.stderr


def test_license_is_apache_2(setup_kwargs):
  assert "Apache License" in (ROOT / "LICENSE").read_text()[:200]
  assert setup_kwargs["license"] == "Apache-2.0"
