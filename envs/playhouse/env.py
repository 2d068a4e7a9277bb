"""The Playhouse environment: gymnax-shaped pure functions over `PlayhouseState`."""

import jax
import jax.numpy as jnp
import numpy as np

from envs import base
from envs.playhouse import dynamics, geometry, goals, layout, render, topdown
from envs.playhouse.config import (
  ACTION_NAMES,
  COLOUR_NAMES,
  FAMILY_NAMES,
  TYPE_NAMES,
  PlayhouseConfig,
)
from envs.playhouse.state import PlayhouseState


class Playhouse:
  """A procedurally generated house with Find, Lift and Pick-and-place goals.

  Implements the environment contract of `envs.base` (`reset_state`, `step_state`, `render`,
  `goal`, `success`, `truncated`, `goal_pools` "train" and "heldout", `max_steps`, ...) and
  nothing more: episodes (resets, rewards, ends) are `envs.wrappers`' business, so there is one
  implementation of them. Nothing is jitted here; jit and vmap at the call site.
  """

  colour_names = COLOUR_NAMES
  type_names = TYPE_NAMES
  family_names = FAMILY_NAMES
  action_names = ACTION_NAMES
  num_actions = len(ACTION_NAMES)

  def __init__(self, config: PlayhouseConfig | None = None):
    self.config = config or PlayhouseConfig()
    self.goals, self.goal_tables = goals.build_tables(self.config.families)
    held = self.goal_tables.heldout
    self.train_goal_ids = np.flatnonzero(~held).astype(np.int32)
    self.heldout_goal_ids = np.flatnonzero(held).astype(np.int32)
    self._render = render.make_renderer(self.config)
    self._render_map = topdown.make_map_renderer(self.config)

  # Per-goal structure (int32[num_goals]; reference fields are -1 outside Pick-and-place).
  @property
  def goal_family(self) -> np.ndarray:
    return self.goal_tables.family

  @property
  def goal_target_colour(self) -> np.ndarray:
    return self.goal_tables.target_colour

  @property
  def goal_target_type(self) -> np.ndarray:
    return self.goal_tables.target_type

  @property
  def goal_ref_colour(self) -> np.ndarray:
    return self.goal_tables.ref_colour

  @property
  def goal_ref_type(self) -> np.ndarray:
    return self.goal_tables.ref_type

  @property
  def goal_slots(self) -> tuple[dict[str, str], ...]:
    """Per goal, the objects it names ({"target": ..., "reference": ...}; `envs.base`)."""
    return goals.goal_slots(self.goal_tables)

  @property
  def num_goals(self) -> int:
    return len(self.goals)

  @property
  def goal_pools(self) -> dict[str, np.ndarray]:
    """Goal ids by pool: "train" (what training samples) and "heldout" (held-out compositions)."""
    return {"train": self.train_goal_ids, "heldout": self.heldout_goal_ids}

  @property
  def max_steps(self) -> int:
    return self.config.max_steps

  @property
  def observation_shape(self) -> tuple[int, int, int]:
    return (self.config.height, self.config.width, 3)

  def sample_goal(self, key: jax.Array, pool=0) -> jax.Array:
    """A uniform goal id from `goal_pools[pool]` (0: train, 1: held-out; may be traced)."""
    return base.sample_goal(key, self.goal_pools, pool)

  def reset_state(self, key: jax.Array, pool=0, *, goal_id=None) -> PlayhouseState:
    """A new episode; its goal is `goal_id` if given, else drawn from `goal_pools[pool]`."""
    k_goal, k_layout = jax.random.split(key)
    if goal_id is None:
      goal_id = self.sample_goal(k_goal, pool)
    return layout.generate(k_layout, jnp.asarray(goal_id, jnp.int32), self.goal_tables, self.config)

  def step_state(self, key: jax.Array, state: PlayhouseState, action) -> PlayhouseState:
    """Dynamics and time only (deterministic; `key` is accepted for the gymnax shape)."""
    del key
    return dynamics.step(state, action, self.config)

  def render(self, state: PlayhouseState) -> jax.Array:
    """uint8[H, W, 3] egocentric frame."""
    return self._render(state)

  def render_map(self, state: PlayhouseState) -> jax.Array:
    """uint8[G*px, G*px, 3] top-down map; the goal's target objects are ringed."""
    tab = jax.tree.map(lambda a: jnp.asarray(a)[state.goal], self.goal_tables)
    target = (state.obj_colour == tab.target_colour) & (state.obj_type == tab.target_type)
    ref = (state.obj_colour == tab.ref_colour) & (state.obj_type == tab.ref_type)
    return self._render_map(state, target | ref)

  def success(self, state: PlayhouseState, goal_id) -> jax.Array:
    """Ground truth of any goal in any state (bool); vmappable over goal ids."""
    return goals.success(state, jnp.asarray(goal_id, jnp.int32), self.goal_tables, self.config)

  def goal(self, state: PlayhouseState) -> jax.Array:
    return state.goal

  def truncated(self, state: PlayhouseState) -> jax.Array:
    return state.time >= self.config.max_steps

  # Per-slot facts for captioning (all [N]).
  def visible(self, state: PlayhouseState) -> jax.Array:
    """bool[N]: held, or in the field of view and not occluded by walls or furniture."""
    return geometry.visible(state, self.config)

  def distances(self, state: PlayhouseState) -> jax.Array:
    """float32[N]: distance from the agent (cells); 0 for the held object."""
    return geometry.slot_view(state, self.config.num_headings).distance

  def held_mask(self, state: PlayhouseState) -> jax.Array:
    return geometry.held_mask(state)
