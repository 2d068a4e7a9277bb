"""The environment contract: the pure pieces a trainer needs from a JAX environment.

Every JAX environment of the project implements `Environment` (the Playhouse does; a test
defines a tiny one in a few dozen lines). All methods are pure functions of explicit state,
safe under `jax.jit` and `jax.vmap`, and act on ONE environment (callers vmap). The state is
any pytree of fixed shapes. Episode mechanics (auto-reset, masking, rewards) are not the
environment's business: `envs.wrappers` owns them, over this contract.

Shapes, for one environment:

  goals               tuple[str, ...]; goal id = index
  goal_pools          {name: int32[n] goal ids}, ordered; pool index = position. The first
                      pool is the one training samples from (e.g. "train", "heldout")
  num_actions         int, discrete actions 0 .. num_actions - 1
  max_steps           int, the episode limit (`truncated` is true from this many steps on)
  observation_shape   (H, W, 3) of `render`
  reset_state(key, pool)            -> state of a new episode with a goal drawn from
                                       `goal_pools[pool]` (pool: int, may be traced)
  step_state(key, state, action)    -> state after the action (int32 scalar)
  render(state)                     -> uint8[H, W, 3], what the agent and the reward model see
  goal(state)                       -> int32 scalar, the episode's goal id
  success(state, goal_id)           -> bool scalar, ground truth of any goal in any state
  truncated(state)                  -> bool scalar, the episode limit is reached

Optional:

  goal_slots          tuple[dict[str, str], ...], per goal the words it names by slot
                      ({"target": "a red duck", "reference": "a blue mug"}), for reward
                      prompts built from a goal's own objects (`fill_goal_templates`)

`HostEnvBatch` is the contract of environments that live on the host instead (android_env's
emulators), stepped a batch at a time by a Sebulba actor (`experiments/sebulba.py`).
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:  # envs.wrappers builds on this module
  from envs.wrappers import Transition

State = Any


@runtime_checkable
class Environment(Protocol):
  goals: tuple[str, ...]
  goal_pools: Mapping[str, np.ndarray]
  num_actions: int
  max_steps: int
  observation_shape: tuple[int, int, int]

  def reset_state(self, key: jax.Array, pool=0) -> State: ...

  def step_state(self, key: jax.Array, state: State, action: jax.Array) -> State: ...

  def render(self, state: State) -> jax.Array: ...

  def goal(self, state: State) -> jax.Array: ...

  def success(self, state: State, goal_id: jax.Array) -> jax.Array: ...

  def truncated(self, state: State) -> jax.Array: ...


@runtime_checkable
class HostEnvBatch(Protocol):
  """B environments that one Sebulba actor steps on the host, a batch at a time.

  The batch only moves environments; the actor applies the episode rules of `envs.wrappers`
  (which step ends an episode) and says, through `needs_reset`, where the next step starts a
  new episode instead, so that an episode's final frame is scored before the reset.

    num_envs, goals, num_actions     B; goal strings (goal id = index); discrete actions
    frame_shape                      (H, W, 3) of the uint8 frames
    goal_slots                       optional, as `Environment.goal_slots`
    begin()                          -> Transition [B]: new episodes in every environment
    step(actions, needs_reset)       -> Transition [B]: each environment acts (int32[B]), or
                                        starts a new episode where needs_reset (bool[B])
    close()                          releases the environments; after an error the actor
                                        closes its batch and builds a new one

  The `envs.wrappers.Transition` holds the new frames, goal ids, ground-truth success (a
  measurement, never a reward) and `truncated` (the episode limit is reached); its `state`
  is zeros[B]: a host batch keeps its own state.
  """

  num_envs: int
  goals: tuple[str, ...]
  num_actions: int
  frame_shape: tuple[int, int, int]

  def begin(self) -> "Transition": ...

  def step(self, actions, needs_reset) -> "Transition": ...

  def close(self) -> None: ...


def fill_goal_templates(goals, goal_slots, templates) -> tuple[tuple[str, ...], ...]:
  """Per goal, each template ("holding {target}") filled with that goal's slot words.

  Args:
    goals: the N goal strings (for error messages).
    goal_slots: an env's `goal_slots` (N dicts), or None where the env has none.
    templates: M format strings naming slots.

  Raises ValueError when there are no slots or a goal lacks a slot a template names.
  """
  templates = (templates,) if isinstance(templates, str) else tuple(templates)
  if goal_slots is None:
    raise ValueError(
      f"this env's goals have no goal_slots, so the per-goal prompts {templates} cannot be "
      "filled in; drop reward.goal_negatives for this env."
    )
  rows = []
  for goal, words in zip(goals, goal_slots, strict=True):
    try:
      rows.append(tuple(t.format(**words) for t in templates))
    except (KeyError, IndexError) as e:
      raise ValueError(
        f"goal {goal!r} names only the slots {sorted(words)}, but a template of "
        f"{templates} needs {e}; use those slots (e.g. '{{target}}') or goals that have them."
      ) from None
  return tuple(rows)


def check_pool(goal_pools: Mapping[str, np.ndarray], pool) -> None:
  """Raises ValueError for a pool index (Python int) outside `goal_pools`; traced ones pass."""
  if isinstance(pool, (int, np.integer)) and not 0 <= pool < len(goal_pools):
    raise ValueError(
      f"goal pool {pool} does not exist: the pools are {list(goal_pools)} (indices 0 to "
      f"{len(goal_pools) - 1})."
    )


def sample_goal(key: jax.Array, goal_pools: Mapping[str, np.ndarray], pool=0) -> jax.Array:
  """A uniform goal id from `goal_pools[pool]` (int32 scalar); `pool` may be traced.

  One draw per pool from its own key, then a selection, so that a traced pool costs no
  data-dependent shapes.
  """
  check_pool(goal_pools, pool)
  keys = jax.random.split(key, len(goal_pools))
  picks = [
    jax.random.choice(k, jnp.asarray(ids)) for k, ids in zip(keys, goal_pools.values(), strict=True)
  ]
  return jnp.stack(picks)[jnp.asarray(pool, jnp.int32)].astype(jnp.int32)
