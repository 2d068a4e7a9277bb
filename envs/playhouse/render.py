"""Egocentric renderer: column ray casting of walls and furniture, floor and ceiling by row
distance, and objects as depth-tested billboard sprites.

`make_renderer(cfg)` precomputes the per-row and per-column camera constants and the packed
sprite masks and closes over them. Work is split into per-column quantities ([W] or [W, N])
and one per-pixel pass of integer selects over packed colours (0x00BBGGRR in a uint32), so
the per-pixel work is single-channel; bytes are split out after a fusion barrier. Sprites are
composited per column from the `cfg.sprite_layers` nearest objects covering that column.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from envs.playhouse import geometry, sprites
from envs.playhouse.config import (
  CEILING_RGB,
  COLOUR_RGB,
  FLOOR_RGB,
  MATERIAL_HEIGHT,
  SHELF,
  SHELF_RGB,
  TABLE,
  TABLE_RGB,
  TABLE_TOP_RGB,
  WALL,
  WALL_RGB,
  PlayhouseConfig,
)
from envs.playhouse.state import PlayhouseState

ACCENT_RGB = (38, 34, 34)
SPRITE_WORLD_SIZE = 0.6  # cells
WALL_HEIGHT = 1.4  # cells (camera at 0.5)
_FAR = 1e6


def _frac(x):
  return x - jnp.floor(x)  # jnp.mod lowers to a slow fmod on CPU


def materialize(tree):
  """Identity that makes XLA compute each leaf once instead of fusing it into every consumer.

  `lax.optimization_barrier` is dropped before fusion on CPU, but an integer max-reduction
  is not fused into its consumers: per-column values are then not recomputed for every
  pixel, and the packed frame is not recomputed for each of its three bytes. (Float
  reductions would be fused with the following broadcast into full-frame buffers.)
  """

  def one(x):
    dtype = x.dtype
    if dtype == jnp.bool_:
      x = x.astype(jnp.uint8)
    bits = jax.lax.bitcast_convert_type(x, jnp.dtype(f"uint{x.dtype.itemsize * 8}"))
    bits = jnp.max(jnp.stack([bits, jnp.zeros_like(bits)]), axis=0)
    out = jax.lax.bitcast_convert_type(bits, x.dtype)
    return out.astype(dtype) if dtype == jnp.bool_ else out

  return jax.tree.map(one, tree)


def shade(dist):
  return 1.0 / (1.0 + 0.08 * dist)


def pack_rgb(rgb):
  """float[..., 3] -> uint32[...] as 0x00BBGGRR (little-endian bytes R, G, B, 0)."""
  q = jnp.clip(rgb, 0.0, 255.0).astype(jnp.int32).astype(jnp.uint32)  # f32->u32 is scalar on x86
  return q[..., 0] | (q[..., 1] << 8) | (q[..., 2] << 16)


def unpack_rgb(packed):
  """uint32[H, W] -> uint8[H, W, 3]."""
  return jax.lax.bitcast_convert_type(packed, jnp.uint8)[..., :3]


def room_select(state: PlayhouseState, x, y, values):
  """values[4, ...] of the room containing the point(s) (x, y); see `PlayhouseState`."""
  cx, cy = state.split[0] + 0.5, state.split[1] + 0.5
  right = (x >= cx) & (state.num_rooms >= 2)
  bottom = (y >= cy) & ((state.num_rooms == 4) | ((state.num_rooms == 3) & ~right))
  v = values
  return jnp.where(right, jnp.where(bottom, v[3], v[1]), jnp.where(bottom, v[2], v[0]))


class Columns(NamedTuple):
  """Per-column scene quantities; rows are continuous pixel coordinates."""

  t_wall: jax.Array  # [W] perpendicular distance of the wall hit
  wall_top: jax.Array  # [W]
  wall_bot: jax.Array  # [W]
  wall_low: jax.Array  # [W] below this row the wall uses `wall_low_rgb`
  wall_rgb: jax.Array  # uint32[W] packed
  wall_low_rgb: jax.Array  # uint32[W]
  t_furn: jax.Array  # [W] first furniture hit in front of the wall (_FAR if none)
  furn_top: jax.Array  # [W] top row of the furniture silhouette (H + 1 if none)
  furn_front: jax.Array  # [W] top row of the front face (above it: the top face)
  furn_bot: jax.Array  # [W]
  furn_rgb: jax.Array  # uint32[W] front face
  furn_line_rgb: jax.Array  # uint32[W] shelf boards (equal to furn_rgb for tables)
  furn_top_rgb: jax.Array  # uint32[W] top face


def make_renderer(cfg: PlayhouseConfig):
  """Returns render(state) -> uint8[H, W, 3]."""
  h, w = cfg.height, cfg.width
  half, focal = h / 2.0, cfg.focal
  camx = jnp.asarray(((np.arange(w) + 0.5) / w * 2.0 - 1.0) * cfg.tan_half_fov, jnp.float32)
  rows = jnp.asarray(np.arange(h) + 0.5, jnp.float32)[:, None]
  cols_px = jnp.asarray(np.arange(w) + 0.5, jnp.float32)
  # Floor distance of every row (mirrored above the horizon, where the ceiling is drawn), so
  # the per-pixel pass has no concatenate (which stops XLA from vectorising it).
  floor_dist = 0.5 * focal / np.abs(np.arange(h) + 0.5 - half)
  ceiling_dist = (WALL_HEIGHT - 0.5) * floor_dist / 0.5
  is_ceiling = jnp.asarray(np.arange(h) < h // 2)[:, None]
  ceiling = pack_rgb(jnp.asarray(np.outer(shade(ceiling_dist), CEILING_RGB), jnp.float32))
  floor_shade = jnp.asarray(shade(floor_dist), jnp.float32)
  floor_dist = jnp.asarray(floor_dist, jnp.float32)[:, None]
  wall_rgb = jnp.asarray(WALL_RGB, jnp.float32)
  floor_rgb = jnp.asarray(FLOOR_RGB, jnp.float32)
  colour_rgb = jnp.asarray(COLOUR_RGB, jnp.float32)
  sprite_cols = jnp.asarray(sprites.sprite_columns()).reshape(-1)
  heights = (MATERIAL_HEIGHT[TABLE], MATERIAL_HEIGHT[SHELF])
  accent = pack_rgb(jnp.asarray(ACCENT_RGB, jnp.float32))

  def row_of(z, t):
    return half + (0.5 - z) * focal / t

  def walls(state: PlayhouseState, rd: jax.Array, cr: geometry.Crossings):
    t_wall = geometry.first_hit(cr, WALL)
    hit = state.pos[None, :] + rd * t_wall[:, None]
    off = jnp.abs(hit - jnp.round(hit))
    vertical = off[:, 0] <= off[:, 1]  # the hit lies on a line x = k
    inner = hit - 1e-3 * rd
    room_rgb = room_select(state, inner[:, :1], inner[:, 1:], wall_rgb[state.room_wall])
    pattern = room_select(state, inner[:, 0], inner[:, 1], state.room_wall_pattern)
    stripe = (pattern == 1) & (_frac(jnp.where(vertical, hit[:, 1], hit[:, 0]) * 4.0) < 0.5)
    f = shade(t_wall) * jnp.where(vertical, 0.82, 1.0) * jnp.where(stripe, 0.88, 1.0)
    upper = room_rgb * f[:, None]
    lower = upper * jnp.where(pattern == 2, 0.74, 0.55)[:, None]
    low_z = jnp.where(pattern == 2, 0.4, 0.07)
    return t_wall, row_of(low_z, t_wall), pack_rgb(upper), pack_rgb(lower)

  def columns(state: PlayhouseState, rd: jax.Array) -> Columns:
    cr = geometry.cast(state.pos, rd, geometry.pack(state.cells))
    t_wall, wall_low, upper, lower = walls(state, rd, cr)
    # One reduction for both furniture kinds: the kind rides in the lowest mantissa bit.
    bits = jax.lax.bitcast_convert_type(cr.t, jnp.uint32) & ~jnp.uint32(1)
    tagged = jax.lax.bitcast_convert_type(bits | (cr.material == SHELF), jnp.float32)
    t_f = jnp.min(jnp.where(cr.material >= TABLE, tagged, jnp.inf), axis=0)
    is_shelf = (jax.lax.bitcast_convert_type(t_f, jnp.uint32) & 1) == 1
    has = t_f < t_wall
    safe_f = jnp.where(has, t_f, 1.0)
    after = (cr.t > t_f[None, :]) & (cr.material < TABLE)
    t_exit = jnp.min(jnp.where(after, cr.t, jnp.inf), axis=0)
    fh = jnp.where(is_shelf, heights[1], heights[0])
    front = row_of(fh, safe_f)
    furn = jnp.where(is_shelf[:, None], jnp.asarray(SHELF_RGB), jnp.asarray(TABLE_RGB))
    fs = shade(safe_f)[:, None]
    return Columns(
      t_wall=t_wall,
      wall_top=row_of(WALL_HEIGHT, t_wall),
      wall_bot=row_of(0.0, t_wall),
      wall_low=wall_low,
      wall_rgb=upper,
      wall_low_rgb=lower,
      t_furn=jnp.where(has, t_f, _FAR),
      furn_top=jnp.where(has, jnp.minimum(front, row_of(fh, t_exit)), h + 1.0),
      furn_front=front,
      furn_bot=jnp.where(has, row_of(0.0, safe_f), h + 1.0),
      furn_rgb=pack_rgb(furn * fs),
      furn_line_rgb=pack_rgb(furn * fs * jnp.where(is_shelf, 0.6, 1.0)[:, None]),
      furn_top_rgb=pack_rgb(jnp.asarray(TABLE_TOP_RGB, jnp.float32) * fs),
    )

  def floor_tables(state: PlayhouseState):
    """Per-row packed floor colours [H, 4 rooms] (plain, patterned) and room bounds."""
    pattern = state.room_floor_pattern
    factor = jnp.where(pattern == 1, 0.88, 0.7)  # [4]
    base = floor_rgb[state.room_floor]  # [4, 3]
    plain = pack_rgb(floor_shade[:, None, None] * base[None])
    darker = pack_rgb(floor_shade[:, None, None] * (base * factor[:, None])[None])
    cx = jnp.where(state.num_rooms >= 2, state.split[0] + 0.5, _FAR)
    cy_left = jnp.where(state.num_rooms >= 3, state.split[1] + 0.5, _FAR)
    cy_right = jnp.where(state.num_rooms == 4, state.split[1] + 0.5, _FAR)
    bounds = jnp.stack([cx, cy_left, cy_right, *state.pos]).astype(jnp.float32)
    return plain, darker, bounds, pattern

  def floor(tables, rd: jax.Array) -> jax.Array:
    """uint32[H, W] floor colours (meaningless above the horizon)."""
    plain, darker, bounds, pattern = tables
    fx = bounds[3] + rd[None, :, 0] * floor_dist
    fy = bounds[4] + rd[None, :, 1] * floor_dist
    right = fx >= bounds[0]
    bottom = fy >= jnp.where(right, bounds[2], bounds[1])
    tile = ((jnp.floor(fx * 2.0) + jnp.floor(fy * 2.0)).astype(jnp.int32) & 1) == 1
    seam = _frac(fy * 3.0) < 0.1
    dark = [((pattern[i] == 1) & tile) | ((pattern[i] == 2) & seam) for i in range(4)]
    per_room = [jnp.where(dark[i], darker[:, i : i + 1], plain[:, i : i + 1]) for i in range(4)]
    return jnp.where(
      right,
      jnp.where(bottom, per_room[3], per_room[1]),
      jnp.where(bottom, per_room[2], per_room[0]),
    )

  def scene(tables, rd: jax.Array, col: Columns) -> jax.Array:
    """uint32[H, W] walls, furniture, floor and ceiling."""
    img = jnp.where(is_ceiling, ceiling[:, None], floor(tables, rd))
    in_wall = (rows >= col.wall_top) & (rows < col.wall_bot)
    wall = jnp.where(rows >= col.wall_low, col.wall_low_rgb, col.wall_rgb)
    img = jnp.where(in_wall, wall, img)
    z = 0.5 - (rows - half) * col.t_furn / focal
    front = jnp.where(_frac(z * 4.0) < 0.14, col.furn_line_rgb, col.furn_rgb)
    furn = jnp.where(rows < col.furn_front, col.furn_top_rgb, front)
    in_furn = (rows >= col.furn_top) & (rows < col.furn_bot)
    return jnp.where(in_furn, furn, img)

  def sprite_params(state: PlayhouseState):
    view = geometry.slot_view(state, cfg.num_headings)
    held = geometry.held_mask(state)
    d = jnp.where(view.depth > 0.2, view.depth, 1.0)
    size = focal * SPRITE_WORLD_SIZE / d
    left = w / 2.0 + focal * view.lateral / d - size / 2.0
    top = half + 0.5 * focal / d - size
    drawn = (view.depth > 0.2) | held
    depth = jnp.where(held, 0.01, view.depth)
    size = jnp.where(held, 0.42 * h, size)
    left = jnp.where(held, 0.56 * w, left)
    top = jnp.where(held, 0.6 * h, top)
    rgb = colour_rgb[state.obj_colour] * jnp.where(held, 1.0, shade(d))[:, None]
    return depth, drawn, held, sprites.SIZE / size, left, top, pack_rgb(rgb), pack_rgb(0.62 * rgb)

  def sprite_layers(state: PlayhouseState, col: Columns):
    """Per-column parameters of the `sprite_layers` nearest sprites, nearest first."""
    depth, drawn, held, scale, left, top, rgb1, rgb2 = sprite_params(state)
    u = (cols_px[:, None] - left[None, :]) * scale[None, :]  # [W, N]
    in_col = (u >= 0) & (u < sprites.SIZE) & drawn[None, :]
    in_col = in_col & ((depth[None, :] < col.t_wall[:, None]) | held[None, :])
    iu = jnp.clip(jnp.floor(u), 0, sprites.SIZE - 1).astype(jnp.int32)
    word = sprite_cols[state.obj_type[None, :] * sprites.SIZE + iu]  # [W, N]
    behind = (depth[None, :] > col.t_furn[:, None]) & ~held[None, :]
    occl = jnp.where(behind, col.furn_top[:, None], h + 1.0)
    key = jnp.where(in_col, depth[None, :], jnp.inf)
    layers = []
    for _ in range(cfg.sprite_layers):
      s = jnp.argmin(key, axis=1)
      ok = jnp.take_along_axis(key, s[:, None], 1)[:, 0] < jnp.inf
      pick = lambda a, s=s: jnp.take_along_axis(a, s[:, None], 1)[:, 0]
      layers.append((top[s], scale[s], jnp.where(ok, pick(word), 0), pick(occl), rgb1[s], rgb2[s]))
      key = jnp.where(jnp.arange(key.shape[1])[None, :] == s[:, None], jnp.inf, key)
    return layers

  def composite(layers, img: jax.Array) -> jax.Array:
    for top, scale, word, occl, rgb1, rgb2 in reversed(layers):  # farthest first
      v = (rows - top) * scale
      iv = jnp.clip(jnp.floor(v), 0, sprites.SIZE - 1).astype(jnp.int32).astype(jnp.uint32)
      code = (word >> (2 * iv)) & 3
      vis = (v >= 0) & (v < sprites.SIZE) & (code != 0) & (rows < occl)
      colour = jnp.where(code == 1, rgb1, jnp.where(code == 2, rgb2, accent))
      img = jnp.where(vis, colour, img)
    return img

  def render(state: PlayhouseState) -> jax.Array:
    fwd = geometry.direction(state.heading, cfg.num_headings)
    right = jnp.stack([-fwd[1], fwd[0]])
    rd = fwd[None, :] + camx[:, None] * right[None, :]
    col = materialize(columns(state, rd))
    tables = materialize(floor_tables(state))
    layers = materialize(sprite_layers(state, col))
    packed = composite(layers, scene(tables, rd, col))
    return unpack_rgb(materialize(packed))

  return render
