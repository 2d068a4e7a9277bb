"""The trainers' seams: `experiments.trainer` and `experiments.sebulba` need only the contracts
of `envs.base` and `agents.types`, and only `experiments` wires environments to agents.

The examples' corridor and REINFORCE agent train through the unchanged fused trainer in
tests/test_examples.py; here the corridor also runs through Sebulba, stepped on the host.
"""

import ast
import pathlib

import numpy as np
import pytest

from examples import corridor_config, corridor_env
from experiments import registry, run_io, sebulba
from experiments.configs import base

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_sebulba_trains_a_jax_environment_stepped_on_the_host(
  monkeypatch, tmp_path, tiny_clip_dirs
):
  """Any JAX environment of `registry.ENVS` runs through Sebulba (`envs.host.JaxEnvBatch`):
  one actor, four corridors, six updates."""
  monkeypatch.setitem(registry.ENVS, "corridor", corridor_env.Corridor)
  config = corridor_config.get_config()
  config.reward.model = str(tiny_clip_dirs["flax"])
  config.env = {"name": "corridor", "max_steps": 6}
  config.agent.network.hidden_size = 16
  config.sebulba = base.sebulba(
    num_actors=1, envs_per_actor=4, log_every_updates=2, checkpoint_every_updates=4
  )
  config.total_frames = 6 * 4 * config.unroll_length
  _, rows = sebulba.train(config, tmp_path)
  assert [r["step"] for r in rows] == [2, 4, 6]
  assert run_io.Checkpointer(tmp_path).latest_step() == 6
  for row in rows:
    assert np.isfinite(row["loss"]) and 0 <= row["gt_return"] <= 1, row


def _imports(path: pathlib.Path) -> set[str]:
  tree = ast.parse(path.read_text())
  names = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names |= {a.name for a in node.names}
    elif isinstance(node, ast.ImportFrom) and node.module:
      names.add(node.module)
      names |= {f"{node.module}.{a.name}" for a in node.names}
  return names


@pytest.mark.parametrize("package", ["vlm_rewards", "envs", "agents", "experiments"])
def test_only_experiments_wires_envs_and_agents(package):
  for path in (ROOT / package).rglob("*.py"):
    top = {name.split(".")[0] for name in _imports(path)}
    if package != "experiments":
      assert "experiments" not in top, path
      assert not {"envs", "agents"} <= top, path
    if package == "envs":
      assert not top & {"agents", "vlm_rewards"}, path
  trainer = _imports(ROOT / "experiments" / "trainer.py")
  assert not any(n.startswith(("envs.playhouse", "agents.impala")) for n in trainer), trainer


def test_sebulba_imports_no_particular_environment():
  """Concrete host environments come from `experiments.registry`, never from Sebulba."""
  names = _imports(ROOT / "experiments" / "sebulba.py")
  concrete = ("envs.launcher", "envs.playhouse", "envs.android")
  assert not any(n.startswith(concrete) for n in names), sorted(names)
