"""Procedural house generation: rooms, doorways, furniture, object and agent placement.

Rooms are the quadrants cut by one vertical wall (column cx) and one horizontal wall (row cy,
spanning both halves for 4 rooms, only the left half for 3). Each room interior is at least
3x3 and every wall segment between rooms has a doorway away from its ends, so the "core" of
every room (cells not next to a wall) is connected to every other core. Furniture only goes
on cells next to exactly one wall and away from doorways, and agent and objects only go on
cells next to at most one wall, so every placed object is reachable.
"""

import jax
import jax.numpy as jnp
import numpy as np

from envs.playhouse import config as C
from envs.playhouse.goals import NUM_TYPES, GoalTables, heldout_compositions
from envs.playhouse.state import PlayhouseState


def _neighbours(mask: jax.Array) -> jax.Array:
  """int32[G, G]: number of 4-neighbours where `mask` is True."""
  p = jnp.pad(mask.astype(jnp.int32), 1)
  return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]


def _walls(key: jax.Array, g: int, num_rooms: jax.Array):
  """Outer and inner walls with doorways: (wall bool[G, G], doors bool[G, G], split)."""
  k = jax.random.split(key, 6)
  cx = jax.random.randint(k[0], (), 4, g - 4)
  cy = jax.random.randint(k[1], (), 4, g - 4)
  ys, xs = np.mgrid[:g, :g]
  border = (xs == 0) | (ys == 0) | (xs == g - 1) | (ys == g - 1)
  vwall = (num_rooms >= 2) & (xs == cx)
  hwall = (ys == cy) & ((num_rooms == 4) | ((num_rooms == 3) & (xs < cx)))
  door_rows = jnp.stack(
    [jax.random.randint(k[2], (), 2, cy - 1), jax.random.randint(k[3], (), cy + 2, g - 2)]
  )
  door_cols = jnp.stack(
    [jax.random.randint(k[4], (), 2, cx - 1), jax.random.randint(k[5], (), cx + 2, g - 2)]
  )
  doors = (vwall & jnp.any(ys[..., None] == door_rows, -1)) | (
    hwall & jnp.any(xs[..., None] == door_cols, -1)
  )
  wall = border | ((vwall | hwall) & ~doors)
  return wall, doors, jnp.stack([cx, cy]).astype(jnp.int32)


def _furniture(key: jax.Array, wall: jax.Array, doors: jax.Array, n: int) -> jax.Array:
  """int8[G, G] cells: walls plus up to n tables / shelves against walls."""
  g = wall.shape[0]
  cells = jnp.where(wall, C.WALL, C.EMPTY).astype(jnp.int8).reshape(-1)
  if n == 0:
    return cells.reshape(g, g)
  near_door = jax.lax.reduce_window(doors, False, jax.lax.bitwise_or, (3, 3), (1, 1), "SAME")
  ok = ~wall & (_neighbours(wall) == 1) & ~near_door
  k_cell, k_kind = jax.random.split(key)
  scores = jnp.where(ok.reshape(-1), jax.random.gumbel(k_cell, (g * g,)), -jnp.inf)
  vals, idx = jax.lax.top_k(scores, n)
  kinds = jnp.where(jax.random.bernoulli(k_kind, 0.5, (n,)), C.TABLE, C.SHELF)
  cells = cells.at[idx].set(jnp.where(vals > -jnp.inf, kinds, cells[idx]).astype(jnp.int8))
  return cells.reshape(g, g)


def _place(key: jax.Array, cells: jax.Array, n: int, reach: float):
  """Cells (flat ids) of the agent and n objects; slot 0 (target) and slot 1 (reference)
  are farther than `reach` from the agent and from each other, so no goal starts solved."""
  g = cells.shape[0]
  ys, xs = np.mgrid[:g, :g]
  centres = jnp.asarray(np.stack([xs, ys], -1).reshape(-1, 2) + 0.5, jnp.float32)
  ok = ((cells == C.EMPTY) & (_neighbours(cells == C.WALL) <= 1)).reshape(-1)
  gum = jax.random.gumbel(key, (4, g * g))

  def far_from(i):
    return jnp.sum((centres - centres[i]) ** 2, axis=1) > reach**2

  ids = jnp.arange(g * g)
  agent = jnp.argmax(jnp.where(ok, gum[0], -jnp.inf))
  target = jnp.argmax(jnp.where(ok & far_from(agent), gum[1], -jnp.inf))
  ref = jnp.argmax(jnp.where(ok & far_from(target) & (ids != agent), gum[2], -jnp.inf))
  rest_ok = ok & (ids != agent) & (ids != target) & (ids != ref)
  _, rest = jax.lax.top_k(jnp.where(rest_ok, gum[3], -jnp.inf), n - 2)
  objects = jnp.concatenate([jnp.stack([target, ref]), rest])
  return centres[agent], centres[objects]


def _compositions(key: jax.Array, goal_id: jax.Array, tables: GoalTables, n: int):
  """(colour, type) per slot: slot 0 the goal's target, slot 1 its reference (or a
  distractor), others distractors from the goal's split that repeat neither."""
  tab = jax.tree.map(lambda a: jnp.asarray(a)[goal_id], tables)
  t = tab.target_colour * NUM_TYPES + tab.target_type
  r = tab.ref_colour * NUM_TYPES + tab.ref_type
  is_place = tab.family == C.PLACE
  comp_held = jnp.asarray(heldout_compositions())
  comps = jnp.arange(comp_held.shape[0])
  pool = tab.heldout | ~comp_held
  ok = pool & (comps != t) & ~(is_place & (comps == r))
  draws = jax.random.categorical(key, jnp.where(ok, 0.0, -jnp.inf), shape=(n - 1,))
  comp = jnp.concatenate([t[None], jnp.where(is_place, r, draws[0])[None], draws[1:]])
  colour, kind = jnp.divmod(comp, NUM_TYPES)
  return colour.astype(jnp.int32), kind.astype(jnp.int32)


def generate(
  key: jax.Array, goal_id: jax.Array, tables: GoalTables, cfg: C.PlayhouseConfig
) -> PlayhouseState:
  """A fresh episode for goal `goal_id` (traced)."""
  k = jax.random.split(key, 10)
  g = cfg.grid_size
  num_rooms = jax.random.randint(k[0], (), cfg.min_rooms, cfg.max_rooms + 1)
  wall, doors, split = _walls(k[1], g, num_rooms)
  cells = _furniture(k[2], wall, doors, cfg.num_furniture)
  agent, obj_pos = _place(k[3], cells, cfg.num_objects, cfg.reach)
  colour, kind = _compositions(k[4], goal_id, tables, cfg.num_objects)
  return PlayhouseState(
    cells=cells,
    split=split,
    num_rooms=num_rooms.astype(jnp.int32),
    room_floor=jax.random.permutation(k[5], len(C.FLOOR_RGB))[:4].astype(jnp.int32),
    room_wall=jax.random.permutation(k[6], len(C.WALL_RGB))[:4].astype(jnp.int32),
    room_floor_pattern=jax.random.randint(k[7], (4,), 0, C.NUM_FLOOR_PATTERNS),
    room_wall_pattern=jax.random.randint(k[8], (4,), 0, C.NUM_WALL_PATTERNS),
    pos=agent,
    heading=jax.random.randint(k[9], (), 0, cfg.num_headings),
    held=jnp.int32(-1),
    obj_pos=obj_pos,
    obj_colour=colour,
    obj_type=kind,
    goal=jnp.asarray(goal_id, jnp.int32),
    time=jnp.int32(0),
  )
