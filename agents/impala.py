"""IMPALA learner: V-trace actor-critic losses, optimiser, a pure update, and acting.

Espeholt et al. 2018, "IMPALA: Scalable Distributed Deep-RL with Importance Weighted
Actor-Learner Architectures" (https://arxiv.org/abs/1802.01561).

Trajectories and the masking convention are the agent contract's (`agents.types`): time-major,
`discounts` 0 at a terminal step and gamma elsewhere (so V-trace bootstraps at a truncation),
`mask = 0` on the reset step after an episode end, which takes no loss and cuts the trace.

Typical use (the trainer jits and shards this):

  agent = make_agent(network_config, config)                 # an `agents.types.Agent`
  state = agent.init(key, example_inputs)                     # a `LearnerState`
  actions, core = agent.act(agent.acting_params(state), key, inputs, core)
  state, metrics = agent.update(state, trajectory)

The pieces (`make_update` with an optional `axis_name` for pmap / shard_map, `make_optimizer`,
`vtrace_time_major`, `impala_losses`) are public for tests and other trainers.
"""

import dataclasses
import functools
from typing import Any, NamedTuple

import chex
import distrax
import jax
import jax.numpy as jnp
import optax
import rlax

from agents.networks import AgentNetwork, AgentOutput, NetworkConfig, make_network
from agents.types import ActorOutput, Agent, AgentInput, CoreState, Trajectory

Params = Any

# Relative margin above `clip_rho_threshold` before a ratio counts as clipped in the metrics.
# Acting and learning compute the same logits in differently fused programs (a step inside the
# rollout against the learner's unroll), whose float32 sums round apart by a few ulps: for
# logits of size ~10 (ulp ~1e-6) log-ratios of order 1e-5, so on-policy ratios land within
# 1e-4 of 1 on either side. 1e-3 is ten times that, and clipping a ratio that exceeds the
# threshold by less changes its step's weight by under 0.1%.
RHO_CLIPPED_TOLERANCE = 1e-3


@dataclasses.dataclass(frozen=True)
class ImpalaConfig:
  """Learner settings (static). `num_updates` is the horizon of the decaying lr schedules."""

  lambda_: float = 1.0
  clip_rho_threshold: float = 1.0
  clip_pg_rho_threshold: float = 1.0
  baseline_cost: float = 0.5
  entropy_cost: float = 0.01
  optimizer: str = "adam"  # "adam" or "rmsprop"
  learning_rate: float = 3e-4
  lr_schedule: str = "linear"  # "constant", "linear" (to 0) or "cosine" (to 0)
  num_updates: int = 10_000
  max_grad_norm: float = 40.0
  eps: float = 1e-8  # Adam / RMSProp epsilon
  rmsprop_decay: float = 0.99
  actor_lag: bool = False  # act with parameters one update old

  def __post_init__(self):
    if not self.learning_rate > 0:
      raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
    if self.optimizer not in ("adam", "rmsprop"):
      raise ValueError(f"optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}")
    if self.lr_schedule not in ("constant", "linear", "cosine"):
      raise ValueError(f"unknown lr_schedule {self.lr_schedule!r}")


class LearnerState(NamedTuple):
  params: Params
  opt_state: optax.OptState
  actor_params: Params  # == params, or params one update old when `actor_lag`


def vtrace_time_major(
  v_tm1: chex.Array,
  v_t: chex.Array,
  r_t: chex.Array,
  discount_t: chex.Array,
  rho_tm1: chex.Array,
  config: ImpalaConfig,
  mask_tm1: chex.Array | None = None,
):
  """`rlax.vtrace_td_error_and_advantage` on time-major [T, B] arrays (vmapped over B).

  Steps where `mask_tm1` is 0 get importance weight 0: their error and advantage are 0 and
  the trace stops there, so the step before bootstraps from `v_t` alone (unlike rlax's
  `sample_mask`, which carries the trace across a masked step).
  """
  chex.assert_rank([v_tm1, v_t, r_t, discount_t, rho_tm1], 2)
  chex.assert_equal_shape([v_tm1, v_t, r_t, discount_t, rho_tm1])
  if mask_tm1 is not None:
    chex.assert_equal_shape([rho_tm1, mask_tm1])
    rho_tm1 = jnp.where(mask_tm1 > 0, rho_tm1, 0.0)
  fn = functools.partial(
    rlax.vtrace_td_error_and_advantage,
    lambda_=config.lambda_,
    clip_rho_threshold=config.clip_rho_threshold,
    clip_pg_rho_threshold=config.clip_pg_rho_threshold,
  )
  return jax.vmap(fn, in_axes=1, out_axes=1)(v_tm1, v_t, r_t, discount_t, rho_tm1)


def impala_losses(
  logits_tm1: chex.Array,
  a_tm1: chex.Array,
  pg_advantage_tm1: chex.Array,
  vtrace_errors_tm1: chex.Array,
  mask_tm1: chex.Array | None = None,
):
  """Per-trajectory IMPALA loss terms for one unbatched [T] sequence (the caller vmaps).

  Args:
    logits_tm1: learner policy logits at the acting steps.
    a_tm1: actions taken.
    pg_advantage_tm1: V-trace policy-gradient advantages (their gradient is stopped here).
    vtrace_errors_tm1: V-trace targets minus learner values (targets already stopped).
    mask_tm1: optional 0/1 weights; the means are taken over the steps where it is 1.

  Returns:
    (policy-gradient loss, baseline loss, entropy) as scalars, each a mean over time.
  """
  chex.assert_rank([logits_tm1, a_tm1, pg_advantage_tm1, vtrace_errors_tm1], [2, 1, 1, 1])
  chex.assert_type([logits_tm1, a_tm1], [float, int])
  chex.assert_equal_shape([a_tm1, pg_advantage_tm1, vtrace_errors_tm1])
  log_pi_tm1 = jax.nn.log_softmax(logits_tm1)
  log_pi_a_tm1 = jnp.take_along_axis(log_pi_tm1, a_tm1[:, None], axis=-1)[:, 0]
  w = jnp.ones_like(pg_advantage_tm1) if mask_tm1 is None else mask_tm1
  mean = lambda x: jnp.sum(w * x) / jnp.maximum(jnp.sum(w), 1.0)
  pg_loss = -mean(log_pi_a_tm1 * jax.lax.stop_gradient(pg_advantage_tm1))
  baseline_loss = 0.5 * mean(jnp.square(vtrace_errors_tm1))
  entropy = -mean(jnp.sum(jnp.exp(log_pi_tm1) * log_pi_tm1, axis=-1))
  return pg_loss, baseline_loss, entropy


def clipped_fraction(rho: chex.Array, threshold: float) -> chex.Array:
  """Fraction of importance ratios that V-trace clips by more than rounding: those above
  ``threshold * (1 + RHO_CLIPPED_TOLERANCE)``, so that on-policy ratios count as unclipped."""
  return jnp.mean(rho > threshold * (1.0 + RHO_CLIPPED_TOLERANCE))


def _check_trajectory(traj: Trajectory) -> None:
  chex.assert_rank(
    [traj.actions, traj.rewards, traj.discounts, traj.behaviour_logits], [2, 2, 2, 3]
  )
  chex.assert_equal_shape([traj.actions, traj.rewards, traj.discounts])
  chex.assert_equal_shape_prefix([traj.actions, traj.behaviour_logits], 2)
  chex.assert_type([traj.actions, traj.rewards, traj.discounts], [int, float, float])
  num_steps, batch = traj.actions.shape
  chex.assert_shape(traj.inputs.reset, (num_steps + 1, batch))
  if traj.mask is not None:
    chex.assert_shape(traj.mask, (num_steps, batch))


def make_loss_fn(network: AgentNetwork, config: ImpalaConfig):
  """Returns `loss_fn(params, trajectory) -> (loss, metrics)`, a mean over T and B."""

  def loss_fn(params: Params, traj: Trajectory):
    _check_trajectory(traj)
    out, _ = network.unroll(params, traj.inputs, traj.initial_core_state)
    logits_tm1, v_tm1, v_t = out.logits[:-1], out.value[:-1], out.value[1:]
    rho_tm1 = jax.lax.stop_gradient(
      distrax.importance_sampling_ratios(
        distrax.Categorical(logits_tm1), distrax.Categorical(traj.behaviour_logits), traj.actions
      )
    )
    vtrace = vtrace_time_major(v_tm1, v_t, traj.rewards, traj.discounts, rho_tm1, config, traj.mask)
    losses = jax.vmap(impala_losses, in_axes=1)(
      logits_tm1, traj.actions, vtrace.pg_advantage, vtrace.errors, traj.mask
    )
    pg_loss, baseline_loss, entropy = (jnp.mean(x) for x in losses)
    loss = pg_loss + config.baseline_cost * baseline_loss - config.entropy_cost * entropy
    metrics = {
      "loss": loss,
      "pg_loss": pg_loss,
      "baseline_loss": baseline_loss,
      "entropy": entropy,
      "value_mean": jnp.mean(v_tm1),
      "vtrace_target_mean": jnp.mean(vtrace.errors + v_tm1),
      "rho_mean": jnp.mean(rho_tm1),
      "rho_clipped_fraction": clipped_fraction(rho_tm1, config.clip_rho_threshold),
    }
    return loss, metrics

  return loss_fn


def make_schedule(config: ImpalaConfig) -> optax.Schedule:
  if config.lr_schedule == "linear":
    return optax.linear_schedule(config.learning_rate, 0.0, config.num_updates)
  if config.lr_schedule == "cosine":
    return optax.cosine_decay_schedule(config.learning_rate, config.num_updates)
  return optax.constant_schedule(config.learning_rate)


def make_optimizer(config: ImpalaConfig) -> optax.GradientTransformation:
  """Global-norm clipping followed by Adam or RMSProp on a learning-rate schedule."""
  schedule = make_schedule(config)
  if config.optimizer == "adam":
    opt = optax.adam(schedule, eps=config.eps)
  else:
    opt = optax.rmsprop(schedule, decay=config.rmsprop_decay, eps=config.eps)
  return optax.chain(optax.clip_by_global_norm(config.max_grad_norm), opt)


def init_learner_state(params: Params, optimizer: optax.GradientTransformation) -> LearnerState:
  return LearnerState(params=params, opt_state=optimizer.init(params), actor_params=params)


def make_update(
  network: AgentNetwork,
  optimizer: optax.GradientTransformation,
  config: ImpalaConfig,
  axis_name: str | None = None,
):
  """Returns a pure `update(learner_state, trajectory) -> (learner_state, metrics)`.

  With `axis_name`, gradients and metrics are averaged with `lax.pmean` over that named axis
  (pmap / shard_map / vmap), so each shard may hold an equal part of the batch. Under
  `jax.jit` with sharded inputs (GSPMD) no axis name is needed. `metrics["loss"]` is the
  total loss before the step; the trainer should stop when it is not finite.
  """
  grad_fn = jax.value_and_grad(make_loss_fn(network, config), has_aux=True)

  def update(state: LearnerState, traj: Trajectory):
    (_, metrics), grads = grad_fn(state.params, traj)
    if axis_name is not None:
      grads, metrics = jax.lax.pmean((grads, metrics), axis_name)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    actor_params = state.params if config.actor_lag else params
    metrics = {
      **metrics,
      "grad_norm": optax.tree.norm(grads),
      "update_norm": optax.tree.norm(updates),
    }
    return LearnerState(params, opt_state, actor_params), metrics

  return update


def act(
  network: AgentNetwork,
  params: Params,
  key: chex.PRNGKey,
  inputs: AgentInput,
  core_state: CoreState,
) -> tuple[ActorOutput, CoreState]:
  """One acting step for B environments: sample from the policy and keep its logits."""
  out: AgentOutput
  out, core_state = network.step(params, inputs, core_state)
  actions = jax.random.categorical(key, out.logits).astype(jnp.int32)
  return ActorOutput(actions=actions, logits=out.logits), core_state


def make_agent(network_config: NetworkConfig, config: ImpalaConfig) -> Agent:
  """IMPALA as the trainer's `agents.types.Agent` (state: `LearnerState`)."""
  network = make_network(network_config)
  optimizer = make_optimizer(config)

  def init(key: chex.PRNGKey, inputs: AgentInput) -> LearnerState:
    return init_learner_state(network.init(key, inputs), optimizer)

  return Agent(
    init=init,
    initial_core_state=network.initial_state,
    acting_params=lambda state: state.actor_params,
    act=functools.partial(act, network),
    update=make_update(network, optimizer, config),
  )
