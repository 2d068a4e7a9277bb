"""Reward functions against NumPy references, negatives sampling and validation errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vlm_rewards import rewards


def _unit(rng, *shape):
  x = rng.normal(size=shape)
  return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _np_probability(image, goal, negatives, temperature):
  """Eq. 1 in float64: softmax over [goal, negatives] of cosine / temperature."""
  image, goal, negatives = (np.asarray(a, np.float64) for a in (image, goal, negatives))
  if negatives.ndim == 2:
    negatives = np.broadcast_to(negatives, (image.shape[0],) + negatives.shape)
  logits = (
    np.concatenate(
      [np.sum(image * goal, -1)[:, None], np.einsum("bd,bkd->bk", image, negatives)], axis=-1
    )
    / temperature
  )
  logits -= logits.max(-1, keepdims=True)
  return np.exp(logits[:, 0]) / np.exp(logits).sum(-1)


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("temperature", [0.01, 0.07, 1.0])
def test_success_probability_matches_numpy(shared, temperature):
  rng = np.random.default_rng(0)
  image, goal = _unit(rng, 6, 8), _unit(rng, 6, 8)
  negatives = _unit(rng, 3, 8) if shared else _unit(rng, 6, 3, 8)
  p = jax.jit(rewards.success_probability, static_argnums=3)(image, goal, negatives, temperature)
  assert p.shape == (6,) and p.dtype == jnp.float32
  np.testing.assert_allclose(p, _np_probability(image, goal, negatives, temperature), atol=1e-5)


def test_success_probability_extremes():
  goal = np.eye(4, dtype=np.float32)[:2]
  negatives = np.eye(4, dtype=np.float32)[2:]
  # Image equal to its goal: high probability at low temperature; uniform at huge temperature.
  assert np.all(rewards.success_probability(goal, goal, negatives, 0.01) > 0.999)
  np.testing.assert_allclose(
    rewards.success_probability(goal, goal, negatives, 1e6), 1 / 3, atol=1e-5
  )


def test_success_probability_accepts_traced_temperature():
  rng = np.random.default_rng(1)
  image, goal, neg = _unit(rng, 2, 4), _unit(rng, 2, 4), _unit(rng, 2, 4)
  p = jax.jit(rewards.success_probability)(image, goal, neg, jnp.float32(0.1))
  np.testing.assert_allclose(p, _np_probability(image, goal, neg, 0.1), atol=1e-5)


def test_success_probability_shape_errors():
  x = np.ones((2, 4), np.float32)
  with pytest.raises(AssertionError):
    rewards.success_probability(x, np.ones((3, 4), np.float32), x, 0.1)
  with pytest.raises(AssertionError):
    rewards.success_probability(x, x, np.ones((3, 5, 4), np.float32), 0.1)


def test_binary_reward_is_strict_threshold():
  p = jnp.array([0.0, 0.3, 0.5, 0.50001, 1.0])
  np.testing.assert_array_equal(rewards.binary_reward(p, 0.5), [0, 0, 0, 1, 1])
  np.testing.assert_array_equal(rewards.binary_reward(p, 0.0), [0, 1, 1, 1, 1])
  assert rewards.binary_reward(p, 1.0).sum() == 0


@pytest.mark.parametrize("temperature", [0.0, -0.1])
def test_bad_temperature_error(temperature):
  x = np.ones((1, 2), np.float32)
  with pytest.raises(ValueError, match="temperature must be > 0"):
    rewards.success_probability(x, x, x, temperature)


@pytest.mark.parametrize("threshold", [-0.01, 1.5])
def test_bad_threshold_error(threshold):
  with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
    rewards.binary_reward(jnp.zeros(2), threshold)


def test_cosine_reward_matches_numpy():
  rng = np.random.default_rng(2)
  image, goal = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
  expected = (
    np.sum(image * goal, -1) / np.linalg.norm(image, axis=-1) / np.linalg.norm(goal, axis=-1)
  )
  np.testing.assert_allclose(rewards.cosine_reward(image, goal), expected, atol=1e-5)


def _np_goal_baseline(x, g, b, alpha):
  x = x / np.linalg.norm(x, axis=-1, keepdims=True)
  d = g - b
  proj = alpha * np.outer(d, d) / np.dot(d, d) + (1 - alpha) * np.eye(len(d))
  return 1 - 0.5 * np.sum(((x - g) @ proj) ** 2, -1)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_goal_baseline_reward_matches_projection_matrix(alpha):
  rng = np.random.default_rng(3)
  x = rng.normal(size=(4, 6))
  g, b = _unit(rng, 6).astype(np.float64), _unit(rng, 6).astype(np.float64)
  got = rewards.goal_baseline_reward(x, g, b, alpha)
  np.testing.assert_allclose(got, _np_goal_baseline(x, g, b, alpha), atol=1e-5)


def test_goal_baseline_alpha_zero_is_cosine_and_alpha_one_ignores_orthogonal_moves():
  rng = np.random.default_rng(4)
  x, g, b = _unit(rng, 3, 5), _unit(rng, 5), _unit(rng, 5)
  np.testing.assert_allclose(
    rewards.goal_baseline_reward(x, g, b, 0.0),
    rewards.cosine_reward(x, np.broadcast_to(g, x.shape)),
    atol=1e-5,
  )
  # Images at the goal and the baseline get the extreme rewards at alpha = 1.
  at_goal, at_base = rewards.goal_baseline_reward(np.stack([g, b]), g, b, 1.0)
  assert at_goal == pytest.approx(1.0) and at_base < at_goal
  with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
    rewards.goal_baseline_reward(x, g, b, 1.5)


def test_sample_negatives_properties():
  negatives = rewards.sample_negatives(num_goals=10, k=4, seed=0)
  assert negatives.shape == (10, 4) and negatives.dtype == np.int32
  for goal, row in enumerate(negatives):
    assert goal not in row and len(set(row.tolist())) == 4
    assert row.min() >= 0 and row.max() < 10
  np.testing.assert_array_equal(negatives, rewards.sample_negatives(10, 4, seed=0))
  assert not np.array_equal(negatives, rewards.sample_negatives(10, 4, seed=1))
  # The whole Playhouse task set (11,772 goals): a row per goal, no N x N intermediate.
  big = rewards.sample_negatives(num_goals=11_772, k=32, seed=0)
  assert big.shape == (11_772, 32) and big.min() >= 0 and big.max() < 11_772
  assert not (big == np.arange(11_772)[:, None]).any()
  assert (np.diff(np.sort(big, axis=1), axis=1) > 0).all()  # distinct within each row


def test_sample_negatives_is_uniform_over_other_goals():
  negatives = rewards.sample_negatives(num_goals=5, k=1, seed=0)
  counts = np.zeros((5, 5))
  for seed in range(2000):
    negatives = rewards.sample_negatives(num_goals=5, k=1, seed=seed)
    counts[np.arange(5), negatives[:, 0]] += 1
  assert np.all(np.diag(counts) == 0)
  off = counts[~np.eye(5, dtype=bool)] / 2000
  np.testing.assert_allclose(off, 0.25, atol=0.05)


def test_sample_negatives_all_others_when_k_is_n_minus_one():
  negatives = rewards.sample_negatives(num_goals=4, k=3, seed=5)
  for goal, row in enumerate(negatives):
    assert sorted(row.tolist()) == [i for i in range(4) if i != goal]


@pytest.mark.parametrize("k", [0, -1, 5, 6])
def test_bad_num_negatives_error(k):
  with pytest.raises(ValueError, match=r"1 <= K < number of goals \(5\)"):
    rewards.sample_negatives(num_goals=5, k=k, seed=0)
