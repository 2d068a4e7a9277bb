"""Tests of agents/impala.py: V-trace against rlax and a reference, properties, the update."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import rlax

from agents import impala
from agents.networks import AgentInput, NetworkConfig, make_network

T, B, A, D = 4, 4, 3, 6


# ---------------------------------------------------------------------------------------------
# V-trace


def vtrace_reference(v_tm1, v_t, r_t, discount_t, rho_tm1, lambda_, rho_bar=1.0, pg_rho_bar=1.0):
  """V-trace of one [T] sequence by the sums in Espeholt et al. (2018), Eq. 1, with lambda."""
  n = len(r_t)
  clipped_rho = np.minimum(rho_bar, rho_tm1)
  delta = clipped_rho * (r_t + discount_t * v_t - v_tm1)
  vs = np.zeros(n)
  for s in range(n):
    acc, trace = 0.0, 1.0
    for t in range(s, n):
      acc += trace * delta[t]
      trace *= discount_t[t] * lambda_ * min(1.0, rho_tm1[t])
    vs[s] = v_tm1[s] + acc
  next_target = np.append(lambda_ * vs[1:] + (1 - lambda_) * v_tm1[1:], v_t[-1])
  pg_adv = np.minimum(pg_rho_bar, rho_tm1) * (r_t + discount_t * next_target - v_tm1)
  return vs - v_tm1, pg_adv


def random_vtrace_inputs(key, num_steps=6, batch=3):
  ks = jax.random.split(key, 5)
  v_tm1 = jax.random.normal(ks[0], (num_steps, batch))
  v_t = jnp.concatenate([v_tm1[1:], jax.random.normal(ks[1], (1, batch))])
  r_t = jax.random.normal(ks[2], (num_steps, batch))
  discount_t = 0.9 * jax.random.bernoulli(ks[3], 0.8, (num_steps, batch))
  rho_tm1 = jnp.exp(0.7 * jax.random.normal(ks[4], (num_steps, batch)))  # some above 1
  return v_tm1, v_t, r_t, discount_t.astype(jnp.float32), rho_tm1


@pytest.mark.parametrize("lambda_", [1.0, 0.8])
def test_vtrace_equals_rlax_and_reference(lambda_):
  config = impala.ImpalaConfig(lambda_=lambda_, clip_pg_rho_threshold=1.5)
  args = random_vtrace_inputs(jax.random.key(0))
  out = impala.vtrace_time_major(*args, config)
  chex.assert_shape([out.errors, out.pg_advantage], args[0].shape)
  for b in range(args[0].shape[1]):
    column = [x[:, b] for x in args]
    expected = rlax.vtrace_td_error_and_advantage(
      *column, lambda_=lambda_, clip_pg_rho_threshold=1.5
    )
    np.testing.assert_allclose(out.errors[:, b], expected.errors, rtol=1e-6)
    np.testing.assert_allclose(out.pg_advantage[:, b], expected.pg_advantage, rtol=1e-6)
    errors, pg_adv = vtrace_reference(*map(np.asarray, column), lambda_, pg_rho_bar=1.5)
    np.testing.assert_allclose(out.errors[:, b], errors, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.pg_advantage[:, b], pg_adv, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lambda_", [1.0, 0.7])
def test_on_policy_vtrace_equals_lambda_return(lambda_):
  v_tm1, v_t, r_t, discount_t, _ = random_vtrace_inputs(jax.random.key(1))
  out = impala.vtrace_time_major(
    v_tm1, v_t, r_t, discount_t, jnp.ones_like(r_t), impala.ImpalaConfig(lambda_=lambda_)
  )
  returns = jax.vmap(rlax.lambda_returns, in_axes=(1, 1, 1, None), out_axes=1)(
    r_t, discount_t, v_t, lambda_
  )
  np.testing.assert_allclose(out.errors + v_tm1, returns, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(out.pg_advantage, returns - v_tm1, rtol=1e-5, atol=1e-6)


def test_vtrace_split_at_episode_boundary_changes_nothing():
  config = impala.ImpalaConfig(lambda_=0.9)
  args = random_vtrace_inputs(jax.random.key(2), num_steps=8)
  k = 3
  args = args[:3] + (args[3].at[k].set(0.0),) + args[4:]
  whole = impala.vtrace_time_major(*args, config)
  first = impala.vtrace_time_major(*(x[: k + 1] for x in args), config)
  second = impala.vtrace_time_major(*(x[k + 1 :] for x in args), config)
  for name in ("errors", "pg_advantage"):
    split = jnp.concatenate([getattr(first, name), getattr(second, name)])
    np.testing.assert_allclose(getattr(whole, name), split, rtol=1e-6, atol=1e-7)


def test_masked_step_cuts_the_trace():
  """A masked reset step after a truncation: the truncated episode bootstraps from v_t."""
  config = impala.ImpalaConfig(lambda_=0.9)
  args = random_vtrace_inputs(jax.random.key(3), num_steps=8)
  k = 3  # step k is truncated (discount stays gamma), step k + 1 is the masked reset step
  mask = jnp.ones_like(args[0]).at[k + 1].set(0.0)
  out = impala.vtrace_time_major(*args, config, mask)
  first = impala.vtrace_time_major(*(x[: k + 1] for x in args), config)
  second = impala.vtrace_time_major(*(x[k + 2 :] for x in args), config)
  zero = jnp.zeros((1, args[0].shape[1]))
  for name in ("errors", "pg_advantage"):
    split = jnp.concatenate([getattr(first, name), zero, getattr(second, name)])
    np.testing.assert_allclose(getattr(out, name), split, rtol=1e-6, atol=1e-7)


def test_impala_losses_golden():
  logits = jnp.zeros((T, A))  # uniform policy
  adv = jnp.array([1.0, -2.0, 0.5, 0.5])
  errors = jnp.array([1.0, 1.0, -2.0, 0.0])
  pg_loss, baseline_loss, entropy = impala.impala_losses(logits, jnp.zeros(T, int), adv, errors)
  np.testing.assert_allclose(pg_loss, np.log(A) * adv.mean(), rtol=1e-6)
  np.testing.assert_allclose(baseline_loss, 0.5 * (1 + 1 + 4) / 4, rtol=1e-6)
  np.testing.assert_allclose(entropy, np.log(A), rtol=1e-6)
  mask = jnp.array([1.0, 0.0, 1.0, 0.0])  # means over the unmasked steps only
  pg_loss, baseline_loss, _ = impala.impala_losses(logits, jnp.zeros(T, int), adv, errors, mask)
  np.testing.assert_allclose(pg_loss, np.log(A) * 0.75, rtol=1e-6)
  np.testing.assert_allclose(baseline_loss, 0.5 * (1 + 4) / 2, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# The update


NET_CONFIG = NetworkConfig(num_actions=A, torso="clip_embedding", hidden_size=16, lstm_size=8)
LEARNER_CONFIG = impala.ImpalaConfig(learning_rate=3e-3, lr_schedule="constant", entropy_cost=1e-3)


def make_inputs(key, lead_shape, goal_ids, reset):
  return AgentInput(
    pixels=None,
    image_emb=jax.random.normal(key, lead_shape + (D,)),
    goal_emb=jax.nn.one_hot(goal_ids, D),
    reset=reset,
  )


def random_trajectory(key, network):
  ks = jax.random.split(key, 7)
  goals = jax.random.randint(ks[0], (T + 1, B), 0, A)
  inputs = make_inputs(ks[1], (T + 1, B), goals, jax.random.bernoulli(ks[2], 0.3, (T + 1, B)))
  return impala.Trajectory(
    inputs=inputs,
    actions=jax.random.randint(ks[3], (T, B), 0, A),
    rewards=jax.random.normal(ks[4], (T, B)),
    discounts=0.9 * (1.0 - inputs.reset[1:].astype(jnp.float32)),
    behaviour_logits=jax.random.normal(ks[5], (T, B, A)),
    initial_core_state=network.initial_state(B),
    mask=jax.random.bernoulli(ks[6], 0.8, (T, B)).astype(jnp.float32),
  )


@pytest.fixture(scope="module")
def agent():
  network = make_network(NET_CONFIG)
  example = jax.tree.map(lambda x: x[0], random_trajectory(jax.random.key(0), network).inputs)
  params = jax.jit(network.init)(jax.random.key(1), example)
  return network, params


@pytest.fixture(scope="module")
def lagged_update(agent):
  """Update with actor lag, shared by the tests that do not depend on the lag."""
  network, params = agent
  config = impala.ImpalaConfig(**{**LEARNER_CONFIG.__dict__, "actor_lag": True})
  optimizer = impala.make_optimizer(config)
  state = impala.init_learner_state(params, optimizer)
  return state, jax.jit(impala.make_update(network, optimizer, config))


def test_update_is_deterministic_and_reports_metrics(agent, lagged_update):
  state, update = lagged_update
  traj = random_trajectory(jax.random.key(2), agent[0])
  new_a, metrics_a = update(state, traj)
  new_b, metrics_b = update(state, traj)
  chex.assert_trees_all_equal((new_a, metrics_a), (new_b, metrics_b))
  assert {"loss", "pg_loss", "baseline_loss", "entropy", "grad_norm"} <= set(metrics_a)
  assert all(np.isfinite(v) for v in metrics_a.values())
  assert not np.allclose(
    new_a.params["params"]["value"]["kernel"], state.params["params"]["value"]["kernel"]
  )


def test_all_ones_mask_equals_no_mask(agent):
  network, params = agent
  traj = random_trajectory(jax.random.key(9), network)
  loss_fn = jax.jit(impala.make_loss_fn(network, LEARNER_CONFIG))
  loss_none, _ = loss_fn(params, traj._replace(mask=None))
  loss_ones, _ = loss_fn(params, traj._replace(mask=jnp.ones_like(traj.rewards)))
  np.testing.assert_allclose(loss_none, loss_ones, rtol=1e-5)


def test_clipped_fraction_ignores_rounding_above_the_threshold():
  rho = jnp.array([1.0, 1.0 + 1e-4, 1.0 + 2e-3, 0.5, 3.0])
  np.testing.assert_allclose(impala.clipped_fraction(rho, 1.0), 2 / 5)
  np.testing.assert_allclose(impala.clipped_fraction(2.0 * rho, 2.0), 2 / 5)


def test_rho_clipped_fraction_is_zero_on_policy_and_counts_ratios_clearly_above(agent):
  """On-policy ratios computed along another float32 path (logits shifted by a constant,
  which softmax ignores, round differently) are not clipped; lowering the behaviour logit of
  the taken action at one of the T steps gives ratios well above 1 there, a 1/T share."""
  network, params = agent
  traj = random_trajectory(jax.random.key(10), network)._replace(mask=None)
  logits = network.unroll(params, traj.inputs, traj.initial_core_state)[0].logits[:-1]
  loss_fn = jax.jit(impala.make_loss_fn(network, LEARNER_CONFIG))
  for behaviour in (logits, (logits + 1000.0) - 1000.0):
    _, metrics = loss_fn(params, traj._replace(behaviour_logits=behaviour))
    assert metrics["rho_clipped_fraction"] == 0.0
  _, metrics = loss_fn(params, traj._replace(behaviour_logits=(logits + 1000.0) - 1000.0))
  assert metrics["rho_mean"] != 1.0  # the shifted path does round: ratios a hair off 1
  taken = jax.nn.one_hot(traj.actions, A)
  lowered = logits - jnp.zeros((T, 1, 1)).at[1].set(1.0) * taken
  _, metrics = loss_fn(params, traj._replace(behaviour_logits=lowered))
  np.testing.assert_allclose(metrics["rho_clipped_fraction"], 1 / T)


def test_nan_reward_gives_non_finite_loss(agent, lagged_update):
  state, update = lagged_update
  traj = random_trajectory(jax.random.key(3), agent[0])
  _, metrics = update(state, traj._replace(rewards=traj.rewards.at[1, 2].set(jnp.nan)))
  assert not np.isfinite(metrics["loss"])


def test_actor_lag_keeps_params_one_update_behind(agent, lagged_update):
  network, _ = agent
  state0, update = lagged_update
  state1, _ = update(state0, random_trajectory(jax.random.key(4), network))
  state2, _ = update(state1, random_trajectory(jax.random.key(5), network))
  chex.assert_trees_all_equal(state1.actor_params, state0.params)
  chex.assert_trees_all_equal(state2.actor_params, state1.params)
  assert not np.allclose(
    state2.params["params"]["value"]["kernel"], state1.params["params"]["value"]["kernel"]
  )


def split_batch(traj: impala.Trajectory, num_shards: int) -> impala.Trajectory:
  """[T, B] trajectory -> [num_shards, T, B / num_shards] (core state: [shards, B / shards])."""
  shard = lambda axis: lambda x: jnp.stack(jnp.split(x, num_shards, axis=axis))
  time_major = traj._replace(initial_core_state=None)
  return jax.tree.map(shard(1), time_major)._replace(
    initial_core_state=jax.tree.map(shard(0), traj.initial_core_state)
  )


def test_pmean_update_over_shards_equals_full_batch_update(agent, lagged_update):
  """Also checks that without actor lag the actor acts with the new parameters."""
  network, _ = agent
  state0, lagged = lagged_update
  traj = random_trajectory(jax.random.key(6), network)
  full, full_metrics = lagged(state0, traj)
  no_lag = impala.make_update(
    network, impala.make_optimizer(LEARNER_CONFIG), LEARNER_CONFIG, axis_name="i"
  )
  sharded = jax.jit(jax.vmap(no_lag, in_axes=(None, 0), axis_name="i"))
  out, metrics = sharded(state0, split_batch(traj, 2))
  out = jax.tree.map(lambda x: x[0], out)
  chex.assert_trees_all_close(out.params, full.params, atol=2e-6)
  chex.assert_trees_all_close(out.opt_state, full.opt_state, atol=2e-6, rtol=1e-5)
  chex.assert_trees_all_equal(out.actor_params, out.params)
  np.testing.assert_allclose(metrics["loss"][0], full_metrics["loss"], rtol=1e-5)


def test_loss_falls_on_goal_conditioned_bandit(agent, lagged_update):
  """One-step episodes: reward 1 iff the action equals the goal id (random policy: 1/A)."""
  network, _ = agent
  state, update = lagged_update
  num_steps, batch = 2, 32

  @jax.jit
  def collect(actor_params, key):
    k_goal, k_img, k_act = jax.random.split(key, 3)
    goals = jax.random.randint(k_goal, (num_steps + 1, batch), 0, A)
    inputs = make_inputs(
      k_img, (num_steps + 1, batch), goals, jnp.ones((num_steps + 1, batch), bool)
    )
    out, _ = network.unroll(actor_params, inputs, network.initial_state(batch))
    actions = jax.random.categorical(k_act, out.logits[:-1]).astype(jnp.int32)
    return impala.Trajectory(
      inputs=inputs,
      actions=actions,
      rewards=(actions == goals[:-1]).astype(jnp.float32),
      discounts=jnp.zeros((num_steps, batch)),
      behaviour_logits=out.logits[:-1],
      initial_core_state=network.initial_state(batch),
      mask=jnp.ones((num_steps, batch)),  # the mask path, to share the compiled update
    )

  def correct_prob(params):
    traj = collect(params, jax.random.key(0))
    goals = traj.inputs.goal_emb[:-1].argmax(-1)
    probs = jax.nn.softmax(traj.behaviour_logits)
    return jnp.mean(jnp.take_along_axis(probs, goals[..., None], axis=-1))

  before = correct_prob(state.params)
  history = []
  for i in range(200):
    state, metrics = update(state, collect(state.actor_params, jax.random.key(100 + i)))
    history.append(metrics)
  loss = np.array([m["loss"] for m in history])
  baseline = np.array([m["baseline_loss"] for m in history])
  after = correct_prob(state.params)
  print(f"correct-action probability {before:.3f} -> {after:.3f}")
  assert before < 0.45 and after > 0.9, (before, after)
  assert loss[-30:].mean() < loss[:30].mean()
  assert baseline[-30:].mean() < 0.5 * baseline[:30].mean()


def test_schedules_and_rmsprop(agent):
  linear = impala.make_schedule(impala.ImpalaConfig(learning_rate=1.0, num_updates=10))
  cosine = impala.make_schedule(
    impala.ImpalaConfig(learning_rate=1.0, num_updates=10, lr_schedule="cosine")
  )
  np.testing.assert_allclose([linear(0), linear(5), linear(10)], [1.0, 0.5, 0.0], atol=1e-6)
  np.testing.assert_allclose([cosine(0), cosine(5), cosine(10)], [1.0, 0.5, 0.0], atol=1e-6)
  optimizer = impala.make_optimizer(impala.ImpalaConfig(optimizer="rmsprop", max_grad_norm=1.0))
  params = {"w": jnp.ones(3)}
  updates, _ = optimizer.update({"w": jnp.array([30.0, 40.0, 0.0])}, optimizer.init(params))
  assert np.all(np.isfinite(updates["w"])) and updates["w"][0] < 0


def test_act_samples_deterministically(agent):
  network, params = agent
  inputs = jax.tree.map(lambda x: x[0], random_trajectory(jax.random.key(7), network).inputs)
  act = jax.jit(functools.partial(impala.act, network))
  step_a, state_a = act(params, jax.random.key(8), inputs, network.initial_state(B))
  step_b, _ = act(params, jax.random.key(8), inputs, network.initial_state(B))
  chex.assert_shape(step_a.actions, (B,))
  chex.assert_shape(step_a.logits, (B, A))
  chex.assert_type(step_a.actions, jnp.int32)
  chex.assert_trees_all_equal(step_a, step_b)
  chex.assert_shape(state_a.cell, (B, NET_CONFIG.lstm_size))
