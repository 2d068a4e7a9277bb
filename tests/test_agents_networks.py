"""Tests of agents/networks.py: shapes of every torso and core, LSTM resets, step == unroll."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.networks import (
  GOAL_CONDITIONINGS,
  TORSOS,
  AgentInput,
  NetworkConfig,
  cell_pool,
  make_network,
)

B, T, H, D, A = 3, 5, 16, 12, 4


def random_inputs(key, lead_shape, reset=None):
  k_pix, k_img, k_goal = jax.random.split(key, 3)
  return AgentInput(
    pixels=jax.random.randint(k_pix, lead_shape + (H, H, 3), 0, 256).astype(jnp.uint8),
    image_emb=jax.random.normal(k_img, lead_shape + (D,)),
    goal_emb=jax.random.normal(k_goal, lead_shape + (D,)),
    reset=jnp.zeros(lead_shape, bool) if reset is None else reset,
  )


def tiny_config(**kwargs):
  defaults = dict(num_actions=A, torso="cnn", hidden_size=16, lstm_size=8)
  return NetworkConfig(**{**defaults, **kwargs})


@pytest.mark.parametrize("torso", TORSOS)
@pytest.mark.parametrize("lstm_size", [0, 8])
@pytest.mark.parametrize("goal_conditioning", GOAL_CONDITIONINGS)
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_shapes(torso, lstm_size, goal_conditioning, dtype):
  if goal_conditioning == "spatial_film" and torso != "cnn":
    with pytest.raises(ValueError, match="spatial_film' needs torso 'cnn'"):
      tiny_config(torso=torso, goal_conditioning=goal_conditioning)
    return
  config = tiny_config(
    torso=torso, lstm_size=lstm_size, goal_conditioning=goal_conditioning, dtype=dtype
  )
  net = make_network(config)
  params = jax.eval_shape(net.init, jax.random.key(0), random_inputs(jax.random.key(1), (B,)))
  state = net.initial_state(B)
  if lstm_size:
    chex.assert_shape([state.cell, state.hidden], (B, lstm_size))
  else:
    assert state == ()  # feed-forward: no core state
  out, new_state = jax.eval_shape(
    net.unroll, params, random_inputs(jax.random.key(2), (T, B)), state
  )
  chex.assert_shape(out.logits, (T, B, A))
  chex.assert_shape(out.value, (T, B))
  chex.assert_type([out.logits, out.value], jnp.float32)
  chex.assert_trees_all_equal_shapes_and_dtypes(new_state, state)
  out, _ = jax.eval_shape(net.step, params, random_inputs(jax.random.key(3), (B,)), state)
  chex.assert_shape(out.logits, (B, A))
  chex.assert_shape(out.value, (B,))


def test_clip_embedding_torso_needs_no_pixels():
  net = make_network(tiny_config(torso="clip_embedding"))
  inputs = random_inputs(jax.random.key(0), (B,))._replace(pixels=None)
  params = jax.eval_shape(net.init, jax.random.key(0), inputs)
  out, _ = jax.eval_shape(net.step, params, inputs, net.initial_state(B))
  chex.assert_shape(out.logits, (B, A))


def test_missing_observation_raises():
  net = make_network(tiny_config(torso="cnn"))
  inputs = random_inputs(jax.random.key(0), (B,))._replace(pixels=None)
  with pytest.raises(ValueError, match="pixels"):
    net.init(jax.random.key(0), inputs)


def test_spatial_film_conditions_the_feature_map_on_the_goal():
  net = make_network(tiny_config(goal_conditioning="spatial_film", lstm_size=0))
  inputs = random_inputs(jax.random.key(0), (B,))
  params = net.init(jax.random.key(1), inputs)
  film = params["params"]["torso"]["spatial_film"]
  assert film["kernel"].shape == (inputs.goal_emb.shape[-1], 64)  # 32 scales, 32 shifts
  assert "goal_proj" not in params["params"] and "film" not in params["params"]
  # Zero-initialised: at first the goal leaves the output alone; trained, it changes it.
  other = inputs._replace(goal_emb=jnp.roll(inputs.goal_emb, 1, axis=0))
  out, _ = net.step(params, inputs, ())
  np.testing.assert_allclose(out.logits, net.step(params, other, ())[0].logits, atol=1e-6)
  film["kernel"] = jax.random.normal(jax.random.key(2), film["kernel"].shape)
  assert not np.allclose(out.logits, net.step(params, other, ())[0].logits, atol=1e-6)


def test_cell_pool_averages_the_feature_locations_of_each_cell():
  fmap = jax.random.normal(jax.random.key(0), (2, 15, 8, 3))  # 15 rows into 6: cells of 2-3
  pooled = np.asarray(cell_pool(fmap, (6, 4)))
  x = np.asarray(fmap)
  row_cell = ((np.arange(15) + 0.5) * 6 / 15).astype(int)
  col_cell = ((np.arange(8) + 0.5) * 4 / 8).astype(int)
  assert set(row_cell) == set(range(6))
  for r in range(6):
    for c in range(4):
      cell = x[:, row_cell == r][:, :, col_cell == c]
      np.testing.assert_allclose(pooled[:, r, c], cell.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)


def test_tap_grid_head_scores_every_cell_with_one_shared_head():
  config = tiny_config(
    num_actions=7, lstm_size=0, tap_grid=[2, 2], goal_conditioning="spatial_film"
  )
  assert config.tap_grid == (2, 2)  # lists (a config file's JSON) become a hashable tuple
  net = make_network(config)
  inputs = random_inputs(jax.random.key(0), (B,))
  params = net.init(jax.random.key(1), inputs)["params"]
  assert params["tap_logit"]["kernel"].shape == (config.hidden_size // 2, 1)  # shared by cells
  assert params["Dense_0"]["kernel"].shape[-1] == 7 - 4  # the other actions: whole-frame head
  out, _ = net.step({"params": params}, inputs, ())
  chex.assert_shape(out.logits, (B, 7))
  # The taps' logits read the goal (the cell features are multiplied by its projection).
  other = inputs._replace(goal_emb=jnp.roll(inputs.goal_emb, 1, axis=0))
  taps = net.step({"params": params}, other, ())[0].logits[:, :4]
  assert not np.allclose(out.logits[:, :4], taps, atol=1e-7)
  with pytest.raises(ValueError, match="tap_grid needs torso 'cnn'"):
    tiny_config(torso="clip_embedding", tap_grid=(2, 2))
  with pytest.raises(ValueError, match="rows \\* cols <= num_actions"):
    tiny_config(num_actions=3, tap_grid=(2, 2))


def test_bad_config_raises():
  with pytest.raises(ValueError):
    tiny_config(torso="vit")


@pytest.fixture(scope="module")
def lstm_net():
  net = make_network(tiny_config(torso="cnn", lstm_size=8))
  params = jax.jit(net.init)(jax.random.key(0), random_inputs(jax.random.key(1), (B,)))
  return net, params, jax.jit(net.unroll), jax.jit(net.step)


def random_state(net, key):
  state = net.initial_state(B)
  return jax.tree.map(lambda x: jax.random.normal(key, x.shape), state)


def test_init_is_deterministic(lstm_net):
  net, params, _, _ = lstm_net
  init = jax.jit(net.init)
  again = init(jax.random.key(0), random_inputs(jax.random.key(1), (B,)))
  other = init(jax.random.key(7), random_inputs(jax.random.key(1), (B,)))
  chex.assert_trees_all_equal(params, again)
  assert not np.allclose(
    params["params"]["Dense_0"]["kernel"], other["params"]["Dense_0"]["kernel"]
  )


def test_reset_equals_fresh_state(lstm_net):
  net, params, unroll, _ = lstm_net
  k = 2  # batch entry 0 starts a new episode at step k; the others never reset
  reset = jnp.zeros((T, B), bool).at[k, 0].set(True)
  inputs = random_inputs(jax.random.key(3), (T, B), reset)
  out, _ = unroll(params, inputs, random_state(net, jax.random.key(4)))
  tail = jax.tree.map(lambda x: x[k:], inputs._replace(reset=jnp.zeros((T, B), bool)))
  fresh, _ = unroll(params, tail, net.initial_state(B))
  np.testing.assert_allclose(out.logits[k:, 0], fresh.logits[:, 0], atol=1e-6)
  np.testing.assert_allclose(out.value[k:, 0], fresh.value[:, 0], atol=1e-6)
  # Without a reset the carried-over state matters.
  assert not np.allclose(out.value[k:, 1], fresh.value[:, 1], atol=1e-4)


def test_step_equals_unroll(lstm_net):
  net, params, unroll, step = lstm_net
  reset = jax.random.bernoulli(jax.random.key(5), 0.3, (T, B))
  inputs = random_inputs(jax.random.key(6), (T, B), reset)
  state0 = random_state(net, jax.random.key(7))
  out, final = unroll(params, inputs, state0)
  state = state0
  for t in range(T):
    step_out, state = step(params, jax.tree.map(lambda x, t=t: x[t], inputs), state)
    np.testing.assert_allclose(step_out.logits, out.logits[t], atol=1e-5)
    np.testing.assert_allclose(step_out.value, out.value[t], atol=1e-5)
  chex.assert_trees_all_close(state, final, atol=1e-5)


def test_feed_forward_ignores_state_and_resets():
  net = make_network(tiny_config(torso="clip_embedding", lstm_size=0))
  inputs = random_inputs(jax.random.key(0), (T, B))
  params = jax.jit(net.init)(jax.random.key(1), jax.tree.map(lambda x: x[0], inputs))
  unroll = jax.jit(net.unroll)
  assert net.initial_state(B) == ()  # no zero-width arrays (they need special checkpointing)
  out, state = unroll(params, inputs, ())
  out_reset, _ = unroll(params, inputs._replace(reset=jnp.ones((T, B), bool)), ())
  assert state == ()
  chex.assert_trees_all_close(out, out_reset)


def test_bfloat16_torso_close_to_float32(lstm_net):
  f32, params, unroll, _ = lstm_net
  bf16 = make_network(tiny_config(torso="cnn", lstm_size=8, dtype="bfloat16"))
  inputs = random_inputs(jax.random.key(0), (T, B))
  out32, _ = unroll(params, inputs, f32.initial_state(B))
  out16, _ = jax.jit(bf16.unroll)(params, inputs, bf16.initial_state(B))
  chex.assert_type(out16.logits, jnp.float32)
  np.testing.assert_allclose(out16.value, out32.value, atol=5e-2)
  np.testing.assert_allclose(out16.logits, out32.logits, atol=5e-2)
