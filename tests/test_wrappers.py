"""The environment contract and the episode mechanics of envs/wrappers.py, rule by rule."""

import dm_env
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import base, wrappers
from envs.playhouse import Playhouse, PlayhouseConfig
from examples.corridor_env import CELLS, Corridor

GAMMA = 0.9
B = 4


def _step(needs_reset, reward, terminal, truncated, success=None, stats=None, tracked=None):
  needs_reset = jnp.asarray(needs_reset)
  stats = wrappers.initial_stats(needs_reset.shape[0]) if stats is None else stats
  success = jnp.zeros_like(needs_reset) if success is None else jnp.asarray(success)
  return wrappers.episode_step(
    stats,
    needs_reset,
    jnp.asarray(reward, jnp.float32),
    jnp.asarray(terminal),
    jnp.asarray(truncated),
    success,
    GAMMA,
    tracked=None if tracked is None else jnp.asarray(tracked, jnp.float32),
  )


def test_both_environments_implement_the_contract():
  for env in (Corridor(), Playhouse(PlayhouseConfig(height=16, width=16))):
    assert isinstance(env, base.Environment)
    assert env.observation_shape[2] == 3 and env.max_steps >= 1
    assert list(env.goal_pools)[0] == "train"
    train, heldout = (set(ids.tolist()) for ids in env.goal_pools.values())
    assert (
      train and heldout and not train & heldout and train | heldout <= set(range(len(env.goals)))
    )


def test_reset_draws_goals_from_the_named_pool_and_refuses_a_missing_one():
  env = Playhouse(PlayhouseConfig(height=16, width=16))
  keys = jax.random.split(jax.random.PRNGKey(0), 32)
  goals_of = jax.jit(jax.vmap(lambda k, p: env.reset_state(k, p).goal, in_axes=(0, None)))
  for pool, ids in enumerate(env.goal_pools.values()):  # a traced pool: one compile
    assert set(np.asarray(goals_of(keys, pool)).tolist()) <= set(ids.tolist())
  with pytest.raises(ValueError, match=r"goal pool 2 does not exist.*'train', 'heldout'"):
    env.reset_state(jax.random.PRNGKey(0), 2)


def test_reset_step_is_masked_and_starts_fresh_statistics():
  running = wrappers.EpisodeStats(jnp.ones(2), jnp.ones(2), jnp.full(2, 5, jnp.int32))
  out = _step([True, False], [1.0, 1.0], [True, False], [True, False], stats=running)
  np.testing.assert_array_equal(out.mask, [0.0, 1.0])
  np.testing.assert_array_equal(out.reward, [0.0, 1.0])
  np.testing.assert_allclose(out.discount, [0.0, GAMMA])
  np.testing.assert_array_equal(out.done, [False, False])  # a reset step ends nothing
  np.testing.assert_array_equal(out.first, [True, False])  # the network's reset flag
  np.testing.assert_array_equal(out.stats.length, [0, 6])
  np.testing.assert_array_equal(out.stats.return_, [0.0, 2.0])


def test_reward_ended_episode_gets_discount_zero_and_truncation_gets_gamma():
  out = _step([False] * 3, [1.0, 0.0, 0.0], [True, False, False], [False, True, False])
  np.testing.assert_allclose(out.discount, [0.0, GAMMA, GAMMA])
  np.testing.assert_array_equal(out.done, [True, True, False])
  np.testing.assert_array_equal(out.mask, [1.0, 1.0, 1.0])
  both = _step([False], [1.0], [True], [True])  # the reward fired on the last allowed step
  np.testing.assert_array_equal(both.discount, [0.0])


def test_statistics_track_the_measured_reward_and_ground_truth():
  out = _step(
    [False, False], [0.5, 0.0], [False, False], [False, False], [False, True], None, [1.0, 0.0]
  )
  np.testing.assert_array_equal(out.reward, [0.5, 0.0])  # what the learner sees
  np.testing.assert_array_equal(out.stats.return_, [1.0, 0.0])  # what is measured
  np.testing.assert_array_equal(out.stats.success, [0.0, 1.0])
  again = _step(
    [False, False], [0.0, 0.0], [False, False], [False, False], [False, False], out.stats
  )
  np.testing.assert_array_equal(again.stats.success, [0.0, 1.0])  # success at any step counts
  np.testing.assert_array_equal(again.stats.length, [2, 2])


def test_final_frame_is_rendered_once_scored_and_kept_until_the_reset_step(monkeypatch):
  env = Corridor(max_steps=20)
  renders = []
  render = env.render
  monkeypatch.setattr(env, "render", lambda s: renders.append(1) or render(s))
  tr = wrappers.reset(env, jax.random.PRNGKey(0), B)
  state, stats, needs_reset = tr.state, wrappers.initial_stats(B), jnp.zeros(B, bool)
  left = jnp.zeros(B, jnp.int32)
  history = []
  renders.clear()
  transition = jax.jit(lambda k, s, a, r: wrappers.transition(env, k, s, a, r))
  for t in range(5):  # three steps left reach the left square; then a reset step; then on
    tr = transition(jax.random.PRNGKey(t + 1), state, left, needs_reset)
    reward = tr.success.astype(jnp.float32)  # the "reward model" scores the new frame
    out = wrappers.episode_step(
      stats, needs_reset, reward, reward > 0, tr.truncated, tr.success, GAMMA
    )
    history.append((tr, out))
    state, stats, needs_reset = tr.state, out.stats, out.done
  assert len(renders) == 1  # traced once: one (vmapped) render per step, of the selected state
  end, after = history[2], history[3]
  np.testing.assert_array_equal(end[0].state.pos, 0)
  np.testing.assert_array_equal(end[0].pixels, jax.vmap(render)(end[0].state))  # final frame
  ended = np.asarray(end[1].done)
  assert ended.any() and np.all(np.asarray(end[1].reward)[ended] == 1.0)
  np.testing.assert_allclose(end[1].discount, np.where(ended, 0.0, GAMMA))
  np.testing.assert_array_equal(np.asarray(after[0].state.pos)[ended], CELLS // 2)  # reset now
  np.testing.assert_array_equal(np.asarray(after[1].mask)[ended], 0.0)
  np.testing.assert_array_equal(np.asarray(after[1].first)[ended], True)
  np.testing.assert_array_equal(np.asarray(history[4][1].mask)[ended], 1.0)  # a new episode


def test_time_limit_truncates_and_bootstraps():
  env = Corridor(max_steps=2)
  tr = wrappers.reset(env, jax.random.PRNGKey(0), B)
  stay = jnp.full(B, 2, jnp.int32)
  needs_reset, stats = jnp.zeros(B, bool), wrappers.initial_stats(B)
  for t in range(2):
    tr = wrappers.transition(env, jax.random.PRNGKey(t), tr.state, stay, needs_reset)
    out = wrappers.episode_step(
      stats, needs_reset, jnp.zeros(B), jnp.zeros(B, bool), tr.truncated, tr.success, GAMMA
    )
    needs_reset, stats = out.done, out.stats
  np.testing.assert_array_equal(out.done, True)
  np.testing.assert_allclose(out.discount, GAMMA)
  np.testing.assert_array_equal(out.stats.length, 2)


def test_ground_truth_dm_env_episode():
  env = wrappers.GroundTruthDmEnv(Corridor(max_steps=4), seed=0)
  ts = env.reset()
  assert ts.first() and ts.observation["pixels"].shape == (16, 16, 3)
  steps = 0
  while not ts.last():
    ts = env.step(2)  # stay: never succeeds
    steps += 1
  assert steps == 4 and ts.discount == 1.0  # truncation bootstraps
  assert int(env.episode.length[0]) == 4 and float(env.episode.return_[0]) == 0.0
  assert env.step(0).step_type == dm_env.StepType.FIRST
  rewards = [env.step(0) for _ in range(3)][-1]  # three steps left: on the left square
  success = env.state.colours[0] == env.state.goal
  assert rewards.reward == float(success) and rewards.last() == bool(success)
  if success:
    assert rewards.discount == 0.0  # the reward ended the episode
  assert env.action_spec().num_values == 3
  assert env.observation_spec()["goal"].num_values == 4
