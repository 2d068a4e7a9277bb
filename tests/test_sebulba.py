"""The Sebulba actor-learner on host environments: android_env with the launcher simulator,
a JAX environment stepped on the host, and the corridor of examples/corridor_env.py."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from agents.types import AgentInput, Trajectory
from envs import host, wrappers
from envs.base import HostEnvBatch
from envs.launcher import Launcher
from experiments import registry, run_io, sebulba
from experiments import train as train_lib
from experiments import trainer as trainer_lib
from experiments.configs import android_common, launcher_common

TINY_NETWORK = dict(torso="clip_embedding", hidden_size=16, lstm_size=0, goal_conditioning="film")


@pytest.fixture(scope="module")
def config(tiny_clip_dirs):
  c = android_common.get_config("smoke")
  c.reward.model = str(tiny_clip_dirs["flax"])  # plumbing, not reward quality, is tested here
  c.sebulba.update(num_actors=2, envs_per_actor=2, log_every_updates=1, checkpoint_every_updates=2)
  c.env.max_steps, c.unroll_length = 3, 3
  c.total_frames = 4 * 2 * 3  # 4 updates of one actor's 2 envs x 3 steps
  c.agent.network = TINY_NETWORK  # fast to compile; the launcher's own network is not the point
  return c


def test_the_learner_applies_the_fused_trainers_update(config):
  """Same batch, same agent state: Sebulba's learner step and the update the fused trainer
  builds from the launcher config (same agent settings) give the same parameters and metrics."""
  fused_config = launcher_common.get_config("smoke")
  fused_config.agent.network = TINY_NETWORK
  fused_agent = registry.make_agent(fused_config.agent, 30, trainer_lib.num_updates(fused_config))
  host_agent = sebulba.make_agent(config, Launcher.num_actions)
  T, B, D = 3, 2, 24
  k = jax.random.split(jax.random.key(0), 6)
  inputs = AgentInput(
    pixels=None,
    image_emb=jax.random.normal(k[0], (T + 1, B, D)),
    goal_emb=jax.random.normal(k[1], (T + 1, B, D)),
    reset=jnp.zeros((T + 1, B), bool),
  )
  traj = Trajectory(
    inputs=inputs,
    actions=jax.random.randint(k[2], (T, B), 0, 30),
    rewards=jax.random.bernoulli(k[3], 0.3, (T, B)).astype(jnp.float32),
    discounts=jnp.full((T, B), 0.9),
    behaviour_logits=jax.random.normal(k[4], (T, B, 30)),
    initial_core_state=(),
    mask=jnp.ones((T, B)),
  )
  state = fused_agent.init(k[5], jax.tree.map(lambda x: x[0], inputs))
  ours, ours_metrics = sebulba.learner_update(host_agent)(state, traj)
  theirs, theirs_metrics = jax.jit(fused_agent.update)(state, traj)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7), ours, theirs)
  for name in theirs_metrics:
    np.testing.assert_allclose(ours_metrics[name], theirs_metrics[name], rtol=1e-6, atol=1e-7)
  assert not np.allclose(ours_metrics["loss"], 0.0)


class FlakyEnv:
  """An environment whose adb connection drops on its second action."""

  def __init__(self, env):
    self.env, self.acts = env, 0

  def __getattr__(self, name):
    return getattr(self.env, name)

  def act(self, action):
    self.acts += 1
    if self.acts == 2:
      raise ConnectionError("adb connection lost")
    return self.env.act(action)


def test_run_survives_an_environment_error_writes_the_workdir_and_resumes(config, tmp_path):
  factory = functools.partial(registry.make_host_envs, config)

  def make_envs(actor, restarts):
    batch = factory(actor, restarts)
    assert isinstance(batch, HostEnvBatch) and batch.num_envs == 2
    if actor == 0 and restarts == 0:
      batch.envs[0] = FlakyEnv(batch.envs[0])
    return batch

  _, rows = sebulba.train(config, tmp_path, make_envs, stop_after_updates=2)
  assert [r["step"] for r in rows] == [1, 2]
  assert rows[-1]["actor_restarts"] >= 1  # actor 0 restarted; the learner went on
  assert run_io.Checkpointer(tmp_path).latest_step() == 2
  for row in rows:  # rollout measurements through android_env and the CLIP
    assert 0 <= row["gt_return"] <= 1 and 0 <= row["vlm_return"] <= 1
    assert np.isfinite(row["loss"]) and row["episodes"] >= 1
  _, rows = sebulba.train(config, tmp_path, factory, resume=True)
  assert [r["step"] for r in rows] == [1, 2, 3, 4]
  assert run_io.Checkpointer(tmp_path).latest_step() == 4
  assert (tmp_path / "returns.png").is_file() and (tmp_path / "tensorboard").is_dir()
  with pytest.raises(FileExistsError):
    sebulba.train(config, tmp_path, factory)  # a finished run is never overwritten


def test_a_nan_loss_stops_the_learner_with_a_clear_error(tmp_path):
  checkpointer = run_io.Checkpointer(tmp_path)
  when = "at update 3; the update was discarded"  # what the Sebulba learner says
  train_lib.check_loss({"loss": 0.5}, 1e6, when, checkpointer)  # fine: no error
  with pytest.raises(
    FloatingPointError, match="diverged .* at update 3; the update was discarded.*no checkpoint"
  ):
    train_lib.check_loss({"loss": float("nan")}, 1e6, when, checkpointer)
  checkpointer.close()


def test_host_environments_are_named_as_envs_are(config):
  """`env.name`: a name of `registry.HOST_ENVS` or `registry.ENVS`, or an import path."""
  bad = config.copy_and_resolve_references()
  bad.env.name = "nope"
  with pytest.raises(ValueError, match=r"android_emulator.*launcher.*playhouse.*'nope'"):
    registry.make_host_envs(bad, 0, 0)
  bad.env.name = "envs.host:nope"
  with pytest.raises(ValueError, match=r"env.name='envs.host:nope' cannot be imported"):
    registry.make_host_envs(bad, 0, 0)


def test_jax_env_batch_steps_the_launcher_as_the_fused_trainer_does():
  """`JaxEnvBatch` (a JAX env's name, here "launcher") is the fused trainer's reset and
  transition, stepped by an actor: same key, same frames and goals; a reset where
  `needs_reset` says so."""
  env = registry.make_env(launcher_common.get_config("smoke").env)
  batch = host.JaxEnvBatch(env, 2, seed=3)
  assert isinstance(batch, HostEnvBatch)
  assert (batch.goals, batch.num_actions) == (env.goals, env.num_actions)
  first = batch.begin()
  key = jax.random.split(jax.random.PRNGKey(3))[1]
  expected = jax.jit(wrappers.reset, static_argnums=(0, 2))(env, key, 2)
  np.testing.assert_array_equal(first.pixels, expected.pixels)
  np.testing.assert_array_equal(first.goal, expected.goal)
  actions, needs_reset = jnp.array([0, 28], jnp.int32), jnp.array([True, False])
  second = batch.step(actions, needs_reset)
  key = jax.random.split(jax.random.split(jax.random.PRNGKey(3))[0])[1]
  expected = jax.jit(wrappers.transition, static_argnums=0)(
    env, key, expected.state, actions, needs_reset
  )
  np.testing.assert_array_equal(second.pixels, expected.pixels)
  assert not np.array_equal(second.pixels[0], first.pixels[0])  # env 0 was reset: a new layout


def test_the_gif_shows_whole_recorded_episodes(tmp_path):
  """`write_gif` keeps whole episodes of an actor's recorded steps, from a reset to the next."""
  frame = np.zeros((8, 4, 3), np.uint8)
  # (frame, goal, VLM reward, ground truth, first): the tail of one episode, two whole ones
  # (2 and 3 steps), and the start of a fourth.
  firsts = [False, True, False, True, False, False, True, False]
  recent = [(frame + i, i % 2, 0.0, False, f) for i, f in enumerate(firsts)]
  sebulba.write_gif(recent, ("Gmail", "Chrome"), tmp_path / "train.gif")
  with Image.open(tmp_path / "train.gif") as gif:
    assert gif.n_frames == 5
  sebulba.write_gif(recent[:3], ("Gmail", "Chrome"), tmp_path / "short.gif")
  assert not (tmp_path / "short.gif").exists()  # no whole episode recorded
