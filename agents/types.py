"""The agent contract: what a trainer calls, without knowing which agent it is.

An `Agent` is a bundle of pure functions over explicit pytrees; the trainer jits, vmaps and
shards them. IMPALA (`agents.impala.make_agent`) implements it; any agent that does can be
trained by `experiments.trainer` unchanged.

Trajectories are time-major. A `Trajectory` holds T transitions of B environments:
`inputs` has T+1 steps (the last one is only bootstrapped from); `discounts[t]` multiplies the
value of `inputs[t+1]`: 0 when the episode terminated at step t, gamma otherwise (time-limit
truncation included, so that the learner bootstraps there). Bootstrapping at a truncation is
exact because `inputs[t+1]` is the truncated episode's last observation: the environment resets
on the *next* step (`envs.wrappers`), which carries `mask = 0`. A masked step is no transition
of any episode: it takes no loss, and no return or trace crosses it.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import chex

Params = Any
AgentState = Any  # the learner's pytree: parameters, optimiser state, whatever the agent keeps
CoreState = Any  # recurrent state, leaves [B, ...]; () for a feed-forward agent


class AgentInput(NamedTuple):
  """One observation per leading index ([B] when acting, [T, B] in a trajectory).

  pixels: uint8[..., H, W, 3] frames, or None.
  image_emb: float[..., D] frozen CLIP image embedding of the frame, or None.
  goal_emb: float[..., D] frozen CLIP text embedding of the episode's goal.
  reset: bool[...], true on the first step of an episode (the core state is zeroed before it).
  """

  pixels: chex.Array | None
  image_emb: chex.Array | None
  goal_emb: chex.Array
  reset: chex.Array


class Trajectory(NamedTuple):
  """Time-major rollout of T steps and B environments (see the module docstring)."""

  inputs: AgentInput  # [T+1, B, ...]
  actions: chex.Array  # int32[T, B]
  rewards: chex.Array  # float32[T, B]
  discounts: chex.Array  # float32[T, B]
  behaviour_logits: chex.Array  # float32[T, B, A]
  initial_core_state: CoreState  # the core state before inputs[0], leaves [B, ...]
  # float32[T, B] or None: 0 marks steps that are no transition of any episode (the reset step
  # after an episode end, whose action is ignored).
  mask: chex.Array | None = None


class ActorOutput(NamedTuple):
  actions: chex.Array  # int32[B]
  logits: chex.Array  # float32[B, A], recorded as the trajectory's behaviour_logits


class Agent(NamedTuple):
  """Pure functions; jit them at the call site.

  init(key, inputs [B, ...]) -> AgentState
  initial_core_state(batch_size) -> CoreState
  acting_params(state) -> Params, what `act` needs (e.g. parameters one update old)
  act(params, key, inputs [B, ...], core_state) -> (ActorOutput, core_state)
  update(state, trajectory) -> (state, metrics): metrics is a dict of float32 scalars and
    metrics["loss"] is the total loss before the update (the trainer stops when it is not
    finite).
  """

  init: Callable[[chex.PRNGKey, AgentInput], AgentState]
  initial_core_state: Callable[[int], CoreState]
  acting_params: Callable[[AgentState], Params]
  act: Callable[..., tuple[ActorOutput, CoreState]]
  update: Callable[[AgentState, Trajectory], tuple[AgentState, dict[str, chex.Array]]]
