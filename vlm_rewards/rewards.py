"""Rewards from CLIP embeddings: pure, jittable functions plus host-side validation.

Eq. 1 and 2 of Baumli et al. (2023), the plain cosine reward, and the goal-baseline
projection reward of Rocamonde et al. (2023). Hyperparameters given as Python numbers are
validated on the host before tracing; traced values are used as they are.
"""

import numbers

import chex
import jax
import jax.numpy as jnp
import numpy as np


def l2_normalise(x: jax.Array, eps: float = 1e-12) -> jax.Array:
  """Divides the last axis by its L2 norm, in float32."""
  x = x.astype(jnp.float32)
  return x / jnp.maximum(jnp.linalg.norm(x, axis=-1, keepdims=True), eps)


def validate_temperature(temperature) -> None:
  """Raises ValueError unless ``temperature`` > 0 (Python numbers only; arrays pass)."""
  if isinstance(temperature, numbers.Real) and not temperature > 0:
    raise ValueError(
      f"temperature must be > 0 (the softmax divides by it), got {temperature}; "
      "CLIP's learned value is about 0.01."
    )


def validate_threshold(threshold) -> None:
  """Raises ValueError unless 0 <= ``threshold`` <= 1 (Python numbers only)."""
  if isinstance(threshold, numbers.Real) and not 0.0 <= threshold <= 1.0:
    raise ValueError(f"threshold must be in [0, 1] (it thresholds a probability), got {threshold}.")


def validate_num_negatives(k, num_goals: int) -> None:
  """Raises ValueError unless 1 <= k < num_goals (negatives are other goals of the set)."""
  if not isinstance(k, numbers.Integral) or isinstance(k, bool):
    raise ValueError(f"the number of negatives K must be an int, got {k!r}.")
  if k < 1 or k >= num_goals:
    raise ValueError(
      f"the number of negatives K must satisfy 1 <= K < number of goals "
      f"({num_goals}), got K={k}: negatives are the other goals of the task set."
    )


def success_probability(
  image_emb: jax.Array,
  goal_emb: jax.Array,
  negative_emb: jax.Array,
  temperature,
  shared_negative_emb: jax.Array | None = None,
) -> jax.Array:
  """Eq. 1: the goal's softmax probability over the goal and its negatives.

  p = exp(x.g / T) / (exp(x.g / T) + sum_k exp(x.n_k / T)), with L2-normalised embeddings
  so that dot products are cosine similarities.

  Args:
    image_emb: float [B, D] L2-normalised image embeddings.
    goal_emb: float [B, D] L2-normalised embedding of each row's goal.
    negative_emb: float [B, K, D] negatives per row, or [K, D] shared by all rows.
    temperature: softmax temperature T > 0 (Python float or scalar array).
    shared_negative_emb: optional float [E, D] more negatives shared by all rows (fixed
      prompts; scored as one [B, E] matmul, never broadcast to [B, E, D]).

  Returns:
    float32 [B] probability of the goal.
  """
  validate_temperature(temperature)
  chex.assert_rank([image_emb, goal_emb], 2)
  chex.assert_equal_shape([image_emb, goal_emb])
  chex.assert_rank(negative_emb, {2, 3})
  image_emb = image_emb.astype(jnp.float32)
  goal_logit = jnp.sum(image_emb * goal_emb.astype(jnp.float32), axis=-1)
  negative_emb = negative_emb.astype(jnp.float32)
  if negative_emb.ndim == 2:
    chex.assert_equal(negative_emb.shape[-1], image_emb.shape[-1])
    negative_logits = image_emb @ negative_emb.T
  else:
    chex.assert_equal(negative_emb.shape[0], image_emb.shape[0])
    chex.assert_equal(negative_emb.shape[-1], image_emb.shape[-1])
    negative_logits = jnp.einsum("bd,bkd->bk", image_emb, negative_emb)
  parts = [goal_logit[:, None], negative_logits]
  if shared_negative_emb is not None:
    chex.assert_rank(shared_negative_emb, 2)
    parts.append(image_emb @ shared_negative_emb.astype(jnp.float32).T)
  logits = jnp.concatenate(parts, axis=-1) / temperature
  return jax.nn.softmax(logits, axis=-1)[:, 0]


def fires(probability, threshold):
  """Where Eq. 2's reward fires: ``probability > threshold``, strictly, elementwise.

  The one statement of which side of the threshold fires, shared by the online reward
  (`binary_reward`) and offline evaluation (`evaluation`), so that a threshold chosen offline
  means the same online. NumPy inputs stay NumPy, in their own precision.
  """
  return probability > threshold


def binary_reward(probability: jax.Array, threshold) -> jax.Array:
  """Eq. 2: 1.0 where ``probability > threshold``, else 0.0.

  Args:
    probability: float [B] success probabilities.
    threshold: beta in [0, 1].

  Returns:
    float32 [B] rewards in {0, 1}.
  """
  validate_threshold(threshold)
  return fires(probability, threshold).astype(jnp.float32)


def cosine_reward(image_emb: jax.Array, goal_emb: jax.Array) -> jax.Array:
  """Cosine similarity between each image and its goal.

  Args:
    image_emb: float [B, D] image embeddings.
    goal_emb: float [B, D] goal embeddings (or [D], shared).

  Returns:
    float32 [B] cosine similarities in [-1, 1].
  """
  chex.assert_rank(image_emb, 2)
  image_emb = l2_normalise(image_emb)
  goal_emb = l2_normalise(jnp.broadcast_to(goal_emb, image_emb.shape))
  return jnp.sum(image_emb * goal_emb, axis=-1)


def goal_baseline_reward(
  image_emb: jax.Array, goal_emb: jax.Array, baseline_emb: jax.Array, alpha
) -> jax.Array:
  """Goal-baseline regularised CLIP reward (Rocamonde et al., 2023).

  With d = g - b, the projection P = alpha * d d^T / |d|^2 + (1 - alpha) * I moves the
  embedding space towards the line through the baseline b and goal g; the reward is
  1 - |(x - g) P|^2 / 2 for the normalised image embedding x. alpha = 0 gives 1 - |x - g|^2/2
  (the cosine similarity for unit g); alpha = 1 keeps only the goal-baseline direction.

  Args:
    image_emb: float [B, D] image embeddings (normalised here).
    goal_emb: float [B, D] or [D] L2-normalised goal embeddings.
    baseline_emb: float [B, D] or [D] L2-normalised baseline-prompt embeddings.
    alpha: projection strength in [0, 1].

  Returns:
    float32 [B] rewards.
  """
  if isinstance(alpha, numbers.Real) and not 0.0 <= alpha <= 1.0:
    raise ValueError(f"alpha must be in [0, 1], got {alpha}.")
  chex.assert_rank(image_emb, 2)
  x = l2_normalise(image_emb)
  g = jnp.broadcast_to(goal_emb, x.shape).astype(jnp.float32)
  b = jnp.broadcast_to(baseline_emb, x.shape).astype(jnp.float32)
  direction = l2_normalise(g - b)
  v = x - g
  projected = alpha * jnp.sum(v * direction, -1, keepdims=True) * direction + (1.0 - alpha) * v
  return 1.0 - 0.5 * jnp.sum(projected**2, axis=-1)


def sample_negatives(num_goals: int, k: int, seed: int) -> np.ndarray:
  """Draws K negatives per goal, uniformly from the other goals, without replacement.

  Drawn once per run on the host so that rewards are not stochastic.

  Args:
    num_goals: size N of the task set.
    k: negatives per goal, 1 <= K < N.
    seed: random seed (same seed, same negatives).

  Returns:
    int32 [N, K]; row i holds distinct goal ids, none equal to i.
  """
  validate_num_negatives(k, num_goals)
  rng = np.random.default_rng(seed)
  out = np.empty((num_goals, k), np.int32)
  for i in range(num_goals):  # O(N K): all 11,772 Playhouse goals, K=32, in 0.1 s and 1.5 MB
    pick = rng.choice(num_goals - 1, size=k, replace=False)
    out[i] = pick + (pick >= i)  # shifting ids >= i by one skips goal i
  return out
