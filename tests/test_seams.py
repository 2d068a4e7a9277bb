"""The trainers' seams: another environment and another agent train through them unchanged.

Neither ships as a feature: the corridor (tests/corridor.py) and the REINFORCE agent below
exist to prove that `experiments.trainer` and `experiments.sebulba` need only the contracts of
`envs.base` and `agents.types`.
"""

import ast
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from agents import networks
from agents.types import ActorOutput, Agent, AgentInput, Trajectory
from experiments import registry, run_io, sebulba
from experiments import train as train_lib
from experiments.configs import base, playhouse_find
from tests import corridor, corridor_config

ROOT = pathlib.Path(__file__).resolve().parents[1]


def make_reinforce(config, num_actions: int, num_updates: int) -> Agent:
  """REINFORCE with a learned baseline: returns within the unroll, bootstrapped at its end."""
  del num_updates
  network = networks.make_network(networks.NetworkConfig(num_actions, **config.network))
  optimizer = optax.adam(config.learning_rate)

  def init(key, inputs: AgentInput):
    params = network.init(key, inputs)
    return {"params": params, "opt": optimizer.init(params)}

  def act(params, key, inputs, core):
    out, core = network.step(params, inputs, core)
    actions = jax.random.categorical(key, out.logits).astype(jnp.int32)
    return ActorOutput(actions, out.logits), core

  def loss_fn(params, traj: Trajectory):
    out, _ = network.unroll(params, traj.inputs, traj.initial_core_state)
    value = jax.lax.stop_gradient(out.value)
    mask_t = jnp.concatenate([traj.mask[1:], jnp.ones_like(traj.mask[:1])])

    def discounted(g_t, xs):  # a masked next step is a reset: bootstrap from the last frame
      r, d, m, v = xs
      g = r + d * jnp.where(m > 0, g_t, v)
      return g, g

    xs = (traj.rewards, traj.discounts, mask_t, value[1:])
    _, returns = jax.lax.scan(discounted, value[-1], xs, reverse=True)
    log_pi = jax.nn.log_softmax(out.logits[:-1])
    log_pi_a = jnp.take_along_axis(log_pi, traj.actions[..., None], -1)[..., 0]
    advantage = returns - out.value[:-1]
    entropy = -jnp.sum(jnp.exp(log_pi) * log_pi, -1)
    per_step = -log_pi_a * jax.lax.stop_gradient(advantage) + 0.5 * advantage**2 - 0.003 * entropy
    return jnp.sum(per_step * traj.mask) / jnp.maximum(traj.mask.sum(), 1.0)

  def update(state, traj):
    loss, grads = jax.value_and_grad(loss_fn)(state["params"], traj)
    updates, opt = optimizer.update(grads, state["opt"])
    return {"params": optax.apply_updates(state["params"], updates), "opt": opt}, {"loss": loss}

  return Agent(init, network.initial_state, lambda s: s["params"], act, update)


def _ground_truth_config(**overrides):
  c = playhouse_find.get_config()
  c.reward.source = "ground_truth"
  c.quiet = True
  for key, value in overrides.items():
    c[key] = value
  return c


def _beats_random(rows, pool: str, margin: float):
  random_rate = rows[0][f"eval/random_{pool}_gt_success"]
  final = rows[-1][f"eval/{pool}_gt_success"]
  print(f"{pool} ground-truth success {final:.3f}, random policy {random_rate:.3f}")
  assert final > random_rate + margin, (random_rate, final)


def _corridor_config(model_dir):
  config = _ground_truth_config(num_envs=32, unroll_length=8, updates_per_call=8)
  config.reward.model = str(model_dir)  # the tiny CLIP: pixels torso, CLIP gives the goal only
  config.env = {"name": "tests.corridor:Corridor", "max_steps": 6}  # by import path
  config.agent.network.update(torso="cnn", hidden_size=64)
  config.agent.learner.lr_schedule = "constant"
  config.total_frames = 32 * 8 * 8 * 12
  config.eval_envs = 128
  config.log_every_calls = config.eval_every_calls = config.checkpoint_every_calls = 12
  return config


@pytest.mark.long
def test_a_tiny_environment_trains_through_the_unchanged_trainer(tmp_path, tiny_clip_dirs):
  _, rows = train_lib.train(_corridor_config(tiny_clip_dirs["flax"]), tmp_path)
  _beats_random(rows, "train", 0.2)  # measured: 0.48 against random 0.15 after 25k frames


@pytest.mark.long
def test_a_second_agent_trains_through_the_unchanged_trainer(monkeypatch, tmp_path, tiny_clip_dirs):
  monkeypatch.setitem(registry.AGENTS, "reinforce", make_reinforce)
  config = _corridor_config(tiny_clip_dirs["flax"])
  network = dict(config.agent.network)
  config.agent = {"name": "reinforce", "network": network, "learning_rate": 3e-3}
  _, rows = train_lib.train(config, tmp_path)
  _beats_random(rows, "train", 0.2)


def test_sebulba_trains_a_jax_environment_stepped_on_the_host(
  monkeypatch, tmp_path, tiny_clip_dirs
):
  """Any JAX environment of `registry.ENVS` runs through Sebulba (`envs.host.JaxEnvBatch`):
  one actor, four corridors, six updates."""
  monkeypatch.setitem(registry.ENVS, "corridor", corridor.Corridor)
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
