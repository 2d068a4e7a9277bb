"""A REINFORCE agent of the `agents.types` contract: the example of adding an agent.

REINFORCE with a learned baseline: returns are summed within the unroll and bootstrapped from
the value at its end. A config names it by import path, `agent.name=
"examples.reinforce_agent:make_agent"`, and `experiments.registry.make_agent` calls
`make_agent(config.agent, num_actions, num_updates)`. It reads `agent.network` (the networks of
`agents/networks.py`) and `agent.learner.learning_rate`, so it runs on any config of this
project; the other `agent.learner` keys are IMPALA's (V-trace) and unused here.
"""

import jax
import jax.numpy as jnp
import optax

from agents import networks
from agents.types import ActorOutput, Agent, AgentInput, Trajectory

ENTROPY_COST = 0.003
BASELINE_COST = 0.5


def make_agent(config, num_actions: int, num_updates: int) -> Agent:
  """The agent for `config` (`config.agent` of a run); a constant learning rate, so
  `num_updates` (the horizon of learning-rate schedules) is unused."""
  del num_updates
  network = networks.make_network(networks.NetworkConfig(num_actions, **config.network))
  optimizer = optax.adam(config.learner.learning_rate)

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
    per_step = (
      -log_pi_a * jax.lax.stop_gradient(advantage)
      + BASELINE_COST * advantage**2
      - ENTROPY_COST * entropy
    )
    return jnp.sum(per_step * traj.mask) / jnp.maximum(traj.mask.sum(), 1.0)

  def update(state, traj):
    loss, grads = jax.value_and_grad(loss_fn)(state["params"], traj)
    updates, opt = optimizer.update(grads, state["opt"])
    return {"params": optax.apply_updates(state["params"], updates), "opt": opt}, {"loss": loss}

  return Agent(init, network.initial_state, lambda s: s["params"], act, update)
