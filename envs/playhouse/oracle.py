"""A scripted oracle that reads the state: BFS distance fields on the grid, computed in JAX.

`make_oracle(env)` returns `oracle_action(key, state, goal_id) -> int32 action`, jittable and
vmappable. Plan: Find = walk next to the target and face it; Lift = also grab it (dropping
anything else first); Pick-and-place = lift the target, walk next to the reference, face a
point beside it (`_PLACE_OFFSET`) and drop. Walking follows a 4-connected shortest path from
cell centre to cell centre.
"""

import jax
import jax.numpy as jnp

from envs.playhouse import dynamics, geometry
from envs.playhouse.config import (
  BACKWARD,
  DROP,
  EMPTY,
  FIND,
  FORWARD,
  GRAB,
  LIFT,
  NOOP,
  STRAFE_LEFT,
  STRAFE_RIGHT,
  TURN_LEFT,
  TURN_RIGHT,
  PlayhouseConfig,
)
from envs.playhouse.env import Playhouse
from envs.playhouse.state import PlayhouseState

# Pick-and-place: the oracle drops the target towards a point this far beside the reference
# (cells), so that the two stand side by side in the frame. Facing the reference itself put
# the target on the line of sight, hiding most of the reference (a frame-based reward then
# cannot see the relation it is asked to judge).
_PLACE_OFFSET = 0.4
_ARRIVED = 1.2  # distance at which the oracle stops walking and turns to face its object


def distance_field(cells: jax.Array, goal_cell: jax.Array, sweeps: int) -> jax.Array:
  """float32[G, G] 4-connected path length to goal_cell (x, y) over empty cells (inf: none)."""
  g = cells.shape[0]
  free = cells == EMPTY
  ys, xs = jnp.mgrid[:g, :g]
  dist = jnp.where((xs == goal_cell[0]) & (ys == goal_cell[1]), 0.0, jnp.inf)

  def sweep(_, d):
    p = jnp.pad(d, 1, constant_values=jnp.inf)
    n = jnp.minimum(jnp.minimum(p[:-2, 1:-1], p[2:, 1:-1]), jnp.minimum(p[1:-1, :-2], p[1:-1, 2:]))
    return jnp.where(free, jnp.minimum(d, n + 1.0), d)

  return jax.lax.fori_loop(0, sweeps, sweep, dist)


def _turn_towards(state: PlayhouseState, point: jax.Array, cfg: PlayhouseConfig):
  """(action turning towards point, whether already facing it within half a turn)."""
  rel = point - state.pos
  want = jnp.arctan2(rel[1], rel[0])
  have = state.heading * (2.0 * jnp.pi / cfg.num_headings)
  err = jnp.mod(want - have + jnp.pi, 2.0 * jnp.pi) - jnp.pi
  facing = jnp.abs(err) <= jnp.deg2rad(cfg.turn_degrees) / 2.0 + 1e-3
  return jnp.where(err > 0, TURN_RIGHT, TURN_LEFT), facing


_MOVES = (FORWARD, STRAFE_LEFT, STRAFE_RIGHT, BACKWARD)


def _walk(key, state: PlayhouseState, point: jax.Array, sweeps: int, cfg: PlayhouseConfig):
  """Action moving one step along a shortest path towards the cell containing point: turn
  towards the next cell centre, then take the move (collisions included) that gets closest
  to it; a random action when no move helps (unsticks rare corner cases)."""
  g = cfg.grid_size
  field = distance_field(state.cells, jnp.floor(point).astype(jnp.int32), sweeps)
  here = jnp.clip(jnp.floor(state.pos).astype(jnp.int32), 0, g - 1)
  moves = jnp.array([[1, 0], [-1, 0], [0, 1], [0, -1]], jnp.int32)
  nxt = jnp.clip(here[None, :] + moves, 0, g - 1)
  costs = field[nxt[:, 1], nxt[:, 0]]
  waypoint = nxt[jnp.argmin(costs)].astype(jnp.float32) + 0.5
  waypoint = jnp.where(field[here[1], here[0]] == 0.0, point, waypoint)
  turn, facing = _turn_towards(state, waypoint, cfg)
  fwd = geometry.direction(state.heading, cfg.num_headings)
  right = jnp.stack([-fwd[1], fwd[0]])
  deltas = cfg.move_step * jnp.stack([fwd, -right, right, -fwd])
  moved = jax.vmap(lambda d: dynamics.slide(state.cells, state.pos, d, cfg.agent_radius))(deltas)
  gaps = jnp.linalg.norm(moved - waypoint, axis=1) + jnp.array([0.0, 0.01, 0.01, 0.02])
  best = jnp.argmin(gaps)
  helps = gaps[best] < jnp.linalg.norm(state.pos - waypoint) - 1e-3
  move = jnp.where(helps, jnp.asarray(_MOVES)[best], jax.random.randint(key, (), 0, 7))
  return jnp.where(facing, move, turn)


def _approach(key, state, point, act, sweeps, cfg):
  """Walk next to point, face it, then take `act`."""
  near = jnp.linalg.norm(point - state.pos) <= _ARRIVED
  turn, facing = _turn_towards(state, point, cfg)
  close = jnp.where(facing, act, turn)
  return jnp.where(near, close, _walk(key, state, point, sweeps, cfg))


def make_oracle(env: Playhouse, sweeps: int | None = None):
  """oracle_action(key, state, goal_id) -> int32 action (the key breaks rare deadlocks)."""
  cfg = env.config
  sweeps = sweeps or 3 * cfg.grid_size
  tables = jax.tree.map(jnp.asarray, env.goal_tables)

  def oracle_action(key: jax.Array, state: PlayhouseState, goal_id) -> jax.Array:
    tab = jax.tree.map(lambda a: a[goal_id], tables)
    target = (state.obj_colour == tab.target_colour) & (state.obj_type == tab.target_type)
    ref = (state.obj_colour == tab.ref_colour) & (state.obj_type == tab.ref_type)
    held = geometry.held_mask(state)
    t_slot = jnp.argmax(target & ~held)
    r_slot = jnp.argmax(ref & ~held)
    holding_target = jnp.any(target & held)
    holding_other = (state.held >= 0) & ~holding_target
    grab_ok = dynamics.grab_candidate(state, cfg) == t_slot
    fetch = _approach(
      key, state, state.obj_pos[t_slot], jnp.where(grab_ok, GRAB, NOOP), sweeps, cfg
    )
    _, drop_free = dynamics.drop_point(state, cfg)
    # Deliver to a point beside the reference (to the agent's left), so that the dropped
    # target and the reference stand side by side in the frame, not one behind the other.
    to_ref = state.obj_pos[r_slot] - state.pos
    left = jnp.stack([to_ref[1], -to_ref[0]]) / jnp.maximum(jnp.linalg.norm(to_ref), 1e-6)
    beside = state.obj_pos[r_slot] + _PLACE_OFFSET * left
    deliver = _approach(key, state, beside, jnp.where(drop_free, DROP, BACKWARD), sweeps, cfg)
    find = _approach(key, state, state.obj_pos[t_slot], NOOP, sweeps, cfg)
    lift = jnp.where(holding_other, DROP, jnp.where(holding_target, NOOP, fetch))
    place = jnp.where(holding_other, DROP, jnp.where(holding_target, deliver, fetch))
    action = jnp.select([tab.family == FIND, tab.family == LIFT], [find, lift], place)
    return action.astype(jnp.int32)

  return oracle_action
