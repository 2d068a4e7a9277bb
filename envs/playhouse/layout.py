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

from envs.playhouse.config import (
  EMPTY,
  FLOOR_RGB,
  NUM_FLOOR_PATTERNS,
  NUM_WALL_PATTERNS,
  PLACE,
  SHELF,
  TABLE,
  WALL,
  WALL_RGB,
  PlayhouseConfig,
)
from envs.playhouse.goals import NUM_TYPES, GoalTables, heldout_compositions
from envs.playhouse.state import PlayhouseState


def _neighbours(mask: jax.Array) -> jax.Array:
  """int32[G, G]: number of 4-neighbours where `mask` is True."""
  p = jnp.pad(mask.astype(jnp.int32), 1)
  return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]


def _int(u: jax.Array, low, high) -> jax.Array:
  """Uniform int in [low, high) from a uniform float u in [0, 1) (one threefry draw serves
  many small integers: random bits are the main cost of a reset on CPU)."""
  return jnp.minimum(low + jnp.floor(u * (high - low)).astype(jnp.int32), high - 1)


def _walls(u: jax.Array, g: int, num_rooms: jax.Array):
  """Outer and inner walls with doorways: (wall bool[G, G], doors bool[G, G], split)."""
  cx = _int(u[0], 4, g - 4)
  cy = _int(u[1], 4, g - 4)
  ys, xs = np.mgrid[:g, :g]
  border = (xs == 0) | (ys == 0) | (xs == g - 1) | (ys == g - 1)
  vwall = (num_rooms >= 2) & (xs == cx)
  hwall = (ys == cy) & ((num_rooms == 4) | ((num_rooms == 3) & (xs < cx)))
  door_rows = jnp.stack([_int(u[2], 2, cy - 1), _int(u[3], cy + 2, g - 2)])
  door_cols = jnp.stack([_int(u[4], 2, cx - 1), _int(u[5], cx + 2, g - 2)])
  doors = (vwall & jnp.any(ys[..., None] == door_rows, -1)) | (
    hwall & jnp.any(xs[..., None] == door_cols, -1)
  )
  wall = border | ((vwall | hwall) & ~doors)
  return wall, doors, jnp.stack([cx, cy]).astype(jnp.int32)


def _furniture(u: jax.Array, wall: jax.Array, doors: jax.Array, n: int) -> jax.Array:
  """int8[G, G] cells: walls plus up to n tables / shelves against walls."""
  g = wall.shape[0]
  cells = jnp.where(wall, WALL, EMPTY).astype(jnp.int8).reshape(-1)
  if n == 0:
    return cells.reshape(g, g)
  near_door = jax.lax.reduce_window(doors, False, jax.lax.bitwise_or, (3, 3), (1, 1), "SAME")
  ok = ~wall & (_neighbours(wall) == 1) & ~near_door
  scores = jnp.where(ok.reshape(-1), u, -jnp.inf)  # u: uniform[G*G]
  vals, idx = jax.lax.top_k(scores, n)
  kinds = jnp.where((idx % 2) == 0, TABLE, SHELF)  # cell ids are random: so is this
  cells = cells.at[idx].set(jnp.where(vals > -jnp.inf, kinds, cells[idx]).astype(jnp.int8))
  return cells.reshape(g, g)


def _place(u: jax.Array, cells: jax.Array, n: int, reach: float):
  """Cells (flat ids) of the agent and n objects; slot 0 (target) and slot 1 (reference)
  are farther than `reach` from the agent and from each other, so no goal starts solved.

  One uniform score per cell serves every stage: with iid scores, the best-scoring allowed
  cell among those not yet taken is uniform over them (sampling without replacement)."""
  g = cells.shape[0]
  ys, xs = np.mgrid[:g, :g]
  centres = jnp.asarray(np.stack([xs, ys], -1).reshape(-1, 2) + 0.5, jnp.float32)
  ok = ((cells == EMPTY) & (_neighbours(cells == WALL) <= 1)).reshape(-1)

  def far_from(i):
    return jnp.sum((centres - centres[i]) ** 2, axis=1) > reach**2

  ids = jnp.arange(g * g)
  agent = jnp.argmax(jnp.where(ok, u, -jnp.inf))
  target = jnp.argmax(jnp.where(ok & far_from(agent), u, -jnp.inf))
  ref = jnp.argmax(jnp.where(ok & far_from(target) & (ids != agent), u, -jnp.inf))
  rest_ok = ok & (ids != agent) & (ids != target) & (ids != ref)
  _, rest = jax.lax.top_k(jnp.where(rest_ok, u, -jnp.inf), n - 2)
  objects = jnp.concatenate([jnp.stack([target, ref]), rest])
  return centres[agent], centres[objects]


_TRAIN_COMPS = np.flatnonzero(~heldout_compositions()).astype(np.int32)
_ALL_COMPS = np.arange(len(heldout_compositions()), dtype=np.int32)


def _compositions(u: jax.Array, goal_id: jax.Array, tables: GoalTables, n: int):
  """(colour, type) per slot: slot 0 the goal's target, slot 1 its reference (or a
  distractor), others distractors from the goal's split that repeat neither.

  A distractor is drawn uniformly from the split's compositions and moved to the next
  one (at most twice) when it repeats the target or reference; u: uniform[n - 1]."""
  tab = jax.tree.map(lambda a: jnp.asarray(a)[goal_id], tables)
  t = tab.target_colour * NUM_TYPES + tab.target_type
  is_place = tab.family == PLACE
  r = jnp.where(is_place, tab.ref_colour * NUM_TYPES + tab.ref_type, -1)

  def draw(pool):
    pool = jnp.asarray(pool)
    i = _int(u, 0, pool.shape[0])
    cands = jnp.stack([pool[(i + j) % pool.shape[0]] for j in range(3)])
    good = (cands != t) & (cands != r)
    return cands[jnp.argmax(good, axis=0), jnp.arange(u.shape[0])]

  draws = jnp.where(tab.heldout, draw(_ALL_COMPS), draw(_TRAIN_COMPS))
  comp = jnp.concatenate([t[None], jnp.where(is_place, r, draws[0])[None], draws[1:]])
  colour, kind = jnp.divmod(comp, NUM_TYPES)
  return colour.astype(jnp.int32), kind.astype(jnp.int32)


def _palette(u: jax.Array, size: int) -> jax.Array:
  """4 distinct palette ids: a random start and a random step coprime with size."""
  steps = jnp.asarray([k for k in range(1, size) if np.gcd(k, size) == 1])
  step = steps[_int(u[1], 0, steps.shape[0])]
  return ((_int(u[0], 0, size) + step * jnp.arange(4)) % size).astype(jnp.int32)


def generate(
  key: jax.Array, goal_id: jax.Array, tables: GoalTables, cfg: PlayhouseConfig
) -> PlayhouseState:
  """A fresh episode for goal `goal_id` (traced)."""
  k_small, k_cells = jax.random.split(key)
  u = jax.random.uniform(k_small, (20 + cfg.num_objects - 1,))
  u_cells = jax.random.uniform(k_cells, (2, cfg.grid_size**2))
  num_rooms = _int(u[0], cfg.min_rooms, cfg.max_rooms + 1)
  wall, doors, split = _walls(u[1:7], cfg.grid_size, num_rooms)
  cells = _furniture(u_cells[0], wall, doors, cfg.num_furniture)
  agent, obj_pos = _place(u_cells[1], cells, cfg.num_objects, cfg.reach)
  colour, kind = _compositions(u[20:], goal_id, tables, cfg.num_objects)
  return PlayhouseState(
    cells=cells,
    split=split,
    num_rooms=num_rooms.astype(jnp.int32),
    room_floor=_palette(u[7:9], len(FLOOR_RGB)),
    room_wall=_palette(u[9:11], len(WALL_RGB)),
    room_floor_pattern=_int(u[11:15], 0, NUM_FLOOR_PATTERNS),
    room_wall_pattern=_int(u[15:19], 0, NUM_WALL_PATTERNS),
    pos=agent,
    heading=_int(u[19], 0, cfg.num_headings),
    held=jnp.int32(-1),
    obj_pos=obj_pos,
    obj_colour=colour,
    obj_type=kind,
    goal=jnp.asarray(goal_id, jnp.int32),
    time=jnp.int32(0),
  )
