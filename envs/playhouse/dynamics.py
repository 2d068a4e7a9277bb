"""Agent dynamics: continuous position with a box collider, discrete headings, grab, drop."""

import jax
import jax.numpy as jnp

from envs.playhouse import geometry
from envs.playhouse.config import (
  BACKWARD,
  DROP,
  EMPTY,
  FORWARD,
  GRAB,
  STRAFE_LEFT,
  STRAFE_RIGHT,
  TURN_LEFT,
  TURN_RIGHT,
  PlayhouseConfig,
)
from envs.playhouse.state import PlayhouseState


def _box_free(cells: jax.Array, p: jax.Array, radius: float) -> jax.Array:
  """True when the square of half-size `radius` around p touches no wall or furniture."""
  corners = p[None, :] + radius * jnp.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], jnp.float32)
  mats = jax.vmap(lambda q: geometry.cell_at(cells, q))(corners)
  return jnp.all(mats == EMPTY)


def slide(cells: jax.Array, pos: jax.Array, delta: jax.Array, radius: float) -> jax.Array:
  """Move by delta one axis at a time; a blocked axis keeps its coordinate."""
  px = pos.at[0].add(delta[0])
  pos = jnp.where(_box_free(cells, px, radius), px, pos)
  py = pos.at[1].add(delta[1])
  return jnp.where(_box_free(cells, py, radius), py, pos)


def _motion(state: PlayhouseState, action: jax.Array, cfg: PlayhouseConfig):
  fwd = geometry.direction(state.heading, cfg.num_headings)
  right = jnp.stack([-fwd[1], fwd[0]])
  step = jnp.select(
    [action == FORWARD, action == BACKWARD, action == STRAFE_LEFT, action == STRAFE_RIGHT],
    [fwd, -fwd, -right, right],
    jnp.zeros(2, jnp.float32),
  )
  pos = slide(state.cells, state.pos, cfg.move_step * step, cfg.agent_radius)
  turn = (action == TURN_RIGHT).astype(jnp.int32) - (action == TURN_LEFT).astype(jnp.int32)
  heading = (state.heading + turn) % cfg.num_headings
  return pos, heading


def grab_candidate(state: PlayhouseState, cfg: PlayhouseConfig) -> jax.Array:
  """Slot the grab action would pick up, or -1: the nearest resting object in reach (but not
  under the agent's feet, closer than 0.3), within the grab cone and in sight."""
  view = geometry.slot_view(state, cfg.num_headings)
  cone = jnp.abs(view.bearing) <= jnp.deg2rad(cfg.grab_degrees)
  ok = (view.distance <= cfg.reach) & (view.distance >= 0.3) & cone & ~geometry.held_mask(state)
  ok = ok & geometry.line_of_sight(state, state.obj_pos)
  best = jnp.argmin(jnp.where(ok, view.distance, jnp.inf))
  return jnp.where(jnp.any(ok), best, -1).astype(jnp.int32)


def drop_point(state: PlayhouseState, cfg: PlayhouseConfig):
  """(point in front of the agent where a drop would put the object, whether it is free)."""
  fwd = geometry.direction(state.heading, cfg.num_headings)
  p = state.pos + cfg.drop_distance * fwd
  return p, geometry.cell_at(state.cells, p) == EMPTY


def step(state: PlayhouseState, action: jax.Array, cfg: PlayhouseConfig) -> PlayhouseState:
  """One transition (no rendering, no goal logic); time advances by one."""
  action = jnp.asarray(action, jnp.int32)
  cand = grab_candidate(state, cfg)
  grab = (action == GRAB) & (state.held < 0) & (cand >= 0)
  point, free = drop_point(state, cfg)
  drop = (action == DROP) & (state.held >= 0) & free
  slots = jnp.arange(state.obj_pos.shape[0])
  obj_pos = jnp.where(drop & (slots == state.held)[:, None], point[None, :], state.obj_pos)
  held = jnp.where(grab, cand, jnp.where(drop, -1, state.held))
  pos, heading = _motion(state, action, cfg)
  obj_pos = jnp.where((slots == held)[:, None], pos[None, :], obj_pos)
  return state.replace(pos=pos, heading=heading, held=held, obj_pos=obj_pos, time=state.time + 1)
