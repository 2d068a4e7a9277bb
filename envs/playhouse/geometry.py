"""Grid geometry shared by the renderer, the dynamics and the ground truth.

Cell materials are packed two bits per cell into uint32 words (one per grid row and one per
grid column), so "which material does a ray enter at this crossing" is a variable shift of a
word chosen by a static index: no gathers, which keeps ray casting cheap on CPU.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from envs.playhouse.config import EMPTY, WALL, PlayhouseConfig
from envs.playhouse.state import PlayhouseState


class PackedGrid(NamedTuple):
  rows: jax.Array  # uint32[G]: row y, cell x in bits 2x..2x+1
  cols: jax.Array  # uint32[G]: column x, cell y in bits 2y..2y+1


def pack(cells: jax.Array) -> PackedGrid:
  g = cells.shape[0]
  shifts = 2 * jnp.arange(g, dtype=jnp.uint32)
  mat = cells.astype(jnp.uint32)
  rows = jnp.sum(mat << shifts[None, :], axis=1, dtype=jnp.uint32)
  cols = jnp.sum(mat << shifts[:, None], axis=0, dtype=jnp.uint32)
  return PackedGrid(rows, cols)


class Crossings(NamedTuple):
  """Crossings major, rays minor, so per-ray reductions are elementwise over crossings."""

  t: jax.Array  # float32[2(G-1), R] ray parameter of each grid-line crossing (inf: none)
  material: jax.Array  # uint32[2(G-1), R] material of the cell entered there


def cast(origin: jax.Array, dirs: jax.Array, grid: PackedGrid, t_max=jnp.inf) -> Crossings:
  """All crossings of rays `origin + t * dirs[r]` (0 < t < t_max) with interior grid lines.

  Vertical lines x = 1..G-1 come first (rows 0..G-2), then horizontal lines y = 1..G-1.
  """
  g = grid.rows.shape[0]
  lines = jnp.arange(1, g, dtype=jnp.float32)[:, None]
  dx, dy = dirs[None, :, 0], dirs[None, :, 1]
  inv_dx = 1.0 / jnp.where(jnp.abs(dx) < 1e-7, 1e-7, dx)
  inv_dy = 1.0 / jnp.where(jnp.abs(dy) < 1e-7, 1e-7, dy)
  t_v = (lines - origin[0]) * inv_dx  # crossing x = k
  t_h = (lines - origin[1]) * inv_dy  # crossing y = k
  lane_v = jnp.clip(jnp.floor(origin[1] + t_v * dy), 0, g - 1).astype(jnp.int32)
  lane_h = jnp.clip(jnp.floor(origin[0] + t_h * dx), 0, g - 1).astype(jnp.int32)
  word_v = jnp.where(dx > 0, grid.cols[1:, None], grid.cols[:-1, None])
  word_h = jnp.where(dy > 0, grid.rows[1:, None], grid.rows[:-1, None])
  mat_v = (word_v >> (2 * lane_v).astype(jnp.uint32)) & 3
  mat_h = (word_h >> (2 * lane_h).astype(jnp.uint32)) & 3
  t = jnp.concatenate([t_v, t_h], axis=0)
  t = jnp.where((t > 1e-6) & (t < t_max), t, jnp.inf)
  return Crossings(t, jnp.concatenate([mat_v, mat_h], axis=0))


def first_hit(cr: Crossings, material: int) -> jax.Array:
  """float32[R]: smallest t entering a cell of `material` (inf if none)."""
  return jnp.min(jnp.where(cr.material == material, cr.t, jnp.inf), axis=0)


def direction(heading: jax.Array, num_headings: int) -> jax.Array:
  angle = heading.astype(jnp.float32) * (2.0 * jnp.pi / num_headings)
  return jnp.stack([jnp.cos(angle), jnp.sin(angle)])


def cell_at(cells: jax.Array, p: jax.Array) -> jax.Array:
  """Material of the cell containing point p (points outside count as wall)."""
  g = cells.shape[0]
  ij = jnp.floor(p).astype(jnp.int32)
  inside = jnp.all((ij >= 0) & (ij < g))
  return jnp.where(inside, cells[jnp.clip(ij[1], 0, g - 1), jnp.clip(ij[0], 0, g - 1)], WALL)


def line_of_sight(state: PlayhouseState, targets: jax.Array) -> jax.Array:
  """bool[N]: no wall or furniture cell between the agent and each target point."""
  cr = cast(state.pos, targets - state.pos[None, :], pack(state.cells), t_max=1.0)
  return jnp.all((cr.material == EMPTY) | jnp.isinf(cr.t), axis=0)


class SlotView(NamedTuple):
  distance: jax.Array  # float32[N] euclidean distance agent -> object (0 when held)
  depth: jax.Array  # float32[N] distance along the view direction
  lateral: jax.Array  # float32[N] distance to the right of the view direction
  bearing: jax.Array  # float32[N] angle from the view direction (radians, right > 0)


def slot_view(state: PlayhouseState, num_headings: int) -> SlotView:
  fwd = direction(state.heading, num_headings)
  right = jnp.stack([-fwd[1], fwd[0]])
  rel = state.obj_pos - state.pos[None, :]
  depth = rel @ fwd
  lateral = rel @ right
  dist = jnp.sqrt(jnp.sum(rel * rel, axis=1))
  return SlotView(dist, depth, lateral, jnp.arctan2(lateral, depth))


def held_mask(state: PlayhouseState) -> jax.Array:
  return jnp.arange(state.obj_pos.shape[0]) == state.held


def visible(state: PlayhouseState, cfg: PlayhouseConfig) -> jax.Array:
  """bool[N]: held, or centre in the field of view, in front and not occluded."""
  view = slot_view(state, cfg.num_headings)
  in_fov = (view.depth > 0.2) & (jnp.abs(view.lateral) <= 0.9 * cfg.tan_half_fov * view.depth)
  return held_mask(state) | (in_fov & line_of_sight(state, state.obj_pos))
