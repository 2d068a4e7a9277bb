"""Egocentric renderer: column ray casting of walls and furniture, floor and ceiling by row
distance, and objects as depth-tested billboard sprites.

`make_renderer(cfg)` precomputes the per-row and per-column camera constants and the packed
sprite masks and closes over them. Work is split into per-column quantities ([W] or [W, N])
and a few full-frame masked selects; sprites are composited per column from the
`cfg.sprite_layers` nearest objects whose billboard covers that column.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from envs.playhouse import config as C
from envs.playhouse import geometry, sprites
from envs.playhouse.state import PlayhouseState

ACCENT_RGB = (38, 34, 34)
SPRITE_WORLD_SIZE = 0.6  # cells
WALL_HEIGHT = 1.4  # cells (camera at 0.5)


def shade(dist):
  return 1.0 / (1.0 + 0.08 * dist)


def room_select(state: PlayhouseState, x, y, values):
  """values[4, ...] of the room containing the point(s) (x, y); see `PlayhouseState`."""
  cx, cy = state.split[0] + 0.5, state.split[1] + 0.5
  right = (x >= cx) & (state.num_rooms >= 2)
  bottom = (y >= cy) & ((state.num_rooms == 4) | ((state.num_rooms == 3) & ~right))
  return jnp.where(
    right, jnp.where(bottom, values[3], values[1]), jnp.where(bottom, values[2], values[0])
  )


class Columns(NamedTuple):
  t_wall: jax.Array  # [W] perpendicular distance of the wall hit
  wall_top: jax.Array  # [W] rows (continuous) of the wall's top and bottom
  wall_bot: jax.Array
  wall_low: jax.Array  # [W] row below which the wall uses `wall_rgb_low`
  wall_rgb: jax.Array  # [W, 3]
  wall_rgb_low: jax.Array  # [W, 3]
  t_furn: jax.Array  # [W] first furniture hit in front of the wall (inf if none)
  furn_top: jax.Array  # [W] top row of the furniture silhouette (H+1 if none)
  furn_front: jax.Array  # [W] top row of the front face (above it: the top face)
  furn_bot: jax.Array  # [W]
  furn_rgb: jax.Array  # [W, 3] front face
  furn_top_rgb: jax.Array  # [W, 3] top face
  is_shelf: jax.Array  # [W]


def make_renderer(cfg: C.PlayhouseConfig):
  """Returns render(state) -> uint8[H, W, 3]."""
  h, w, g = cfg.height, cfg.width, cfg.grid_size
  half, focal = h / 2.0, cfg.focal
  camx = jnp.asarray(((np.arange(w) + 0.5) / w * 2.0 - 1.0) * cfg.tan_half_fov, jnp.float32)
  rows = jnp.asarray(np.arange(h) + 0.5, jnp.float32)[:, None]
  cols_px = jnp.asarray(np.arange(w) + 0.5, jnp.float32)
  floor_dist = jnp.asarray(0.5 * focal / (np.arange(h // 2) + 0.5), jnp.float32)[:, None]
  ceiling_dist = (WALL_HEIGHT - 0.5) * np.asarray(floor_dist[::-1]) / 0.5
  ceiling = np.asarray(C.CEILING_RGB, np.float32) * shade(ceiling_dist)[..., None]
  ceiling = jnp.broadcast_to(jnp.asarray(ceiling, jnp.float32), (h // 2, w, 3))
  wall_rgb = jnp.asarray(C.WALL_RGB, jnp.float32)
  floor_rgb = jnp.asarray(C.FLOOR_RGB, jnp.float32)
  colour_rgb = jnp.asarray(C.COLOUR_RGB, jnp.float32)
  sprite_cols = jnp.asarray(sprites.sprite_columns()).reshape(-1)
  heights = (C.MATERIAL_HEIGHT[C.TABLE], C.MATERIAL_HEIGHT[C.SHELF])

  def row_of(z, t):
    return half + (0.5 - z) * focal / t

  def columns(state: PlayhouseState, rd: jax.Array) -> Columns:
    cr = geometry.cast(state.pos, rd, geometry.pack(state.cells))
    wall_t = jnp.where(cr.material == C.WALL, cr.t, jnp.inf)
    t_wall = jnp.min(wall_t, axis=1)
    vertical = jnp.argmin(wall_t, axis=1) < g - 1
    hit = state.pos[None, :] + rd * t_wall[:, None]
    inner = hit - 1e-3 * rd
    room_rgb = room_select(state, inner[:, :1], inner[:, 1:], wall_rgb[state.room_wall])
    pattern = room_select(state, inner[:, 0], inner[:, 1], state.room_wall_pattern)
    u = jnp.where(vertical, hit[:, 1], hit[:, 0])
    stripe = (pattern == 1) & (jnp.mod(u * 4.0, 1.0) < 0.5)
    f = shade(t_wall) * jnp.where(vertical, 0.82, 1.0) * jnp.where(stripe, 0.88, 1.0)
    upper = room_rgb * f[:, None]
    low_z = jnp.where(pattern == 2, 0.4, 0.07)
    lower = upper * jnp.where(pattern == 2, 0.74, 0.55)[:, None]
    t_table, t_shelf = geometry.first_hit(cr, C.TABLE), geometry.first_hit(cr, C.SHELF)
    is_shelf = t_shelf < t_table
    t_f = jnp.minimum(t_table, t_shelf)
    has = t_f < t_wall
    t_f = jnp.where(has, t_f, jnp.inf)
    safe_f = jnp.where(has, t_f, 1.0)
    after = (cr.t > t_f[:, None]) & (cr.material < C.TABLE)
    t_exit = jnp.min(jnp.where(after, cr.t, jnp.inf), axis=1)
    fh = jnp.where(is_shelf, heights[1], heights[0])
    front = row_of(fh, safe_f)
    top = jnp.where(has, jnp.minimum(front, row_of(fh, t_exit)), h + 1.0)
    furn = jnp.where(is_shelf[:, None], jnp.asarray(C.SHELF_RGB), jnp.asarray(C.TABLE_RGB))
    fs = shade(safe_f)[:, None]
    return Columns(
      t_wall=t_wall,
      wall_top=row_of(WALL_HEIGHT, t_wall),
      wall_bot=row_of(0.0, t_wall),
      wall_low=row_of(low_z, t_wall),
      wall_rgb=upper,
      wall_rgb_low=lower,
      t_furn=t_f,
      furn_top=top,
      furn_front=front,
      furn_bot=jnp.where(has, row_of(0.0, safe_f), h + 1.0),
      furn_rgb=furn * fs,
      furn_top_rgb=jnp.asarray(C.TABLE_TOP_RGB, jnp.float32) * fs,
      is_shelf=is_shelf,
    )

  def floor(state: PlayhouseState, rd: jax.Array) -> jax.Array:
    fx = state.pos[0] + rd[None, :, 0] * floor_dist
    fy = state.pos[1] + rd[None, :, 1] * floor_dist
    params = jnp.concatenate(
      [floor_rgb[state.room_floor], state.room_floor_pattern[:, None].astype(jnp.float32)], 1
    )
    sel = [room_select(state, fx, fy, params[:, i]) for i in range(4)]
    tile = (jnp.floor(fx * 2.0) + jnp.floor(fy * 2.0)).astype(jnp.int32) & 1
    seam = jnp.mod(fy * 3.0, 1.0) < 0.1
    f = 1.0 - 0.12 * ((sel[3] == 1) & (tile == 1)) - 0.3 * ((sel[3] == 2) & seam)
    f = f * shade(floor_dist)
    return jnp.stack([sel[0] * f, sel[1] * f, sel[2] * f], axis=-1)

  def scene(state: PlayhouseState, rd: jax.Array, col: Columns) -> jax.Array:
    img = jnp.concatenate([ceiling, floor(state, rd)], axis=0)
    in_wall = (rows >= col.wall_top) & (rows < col.wall_bot)
    wall = jnp.where((rows >= col.wall_low)[..., None], col.wall_rgb_low, col.wall_rgb)
    img = jnp.where(in_wall[..., None], wall, img)
    z = 0.5 - (rows - half) * jnp.where(jnp.isinf(col.t_furn), 1.0, col.t_furn) / focal
    line = col.is_shelf & (jnp.mod(z * 4.0, 1.0) < 0.14)
    front = col.furn_rgb * jnp.where(line, 0.6, 1.0)[..., None]
    furn = jnp.where((rows < col.furn_front)[..., None], col.furn_top_rgb, front)
    in_furn = (rows >= col.furn_top) & (rows < col.furn_bot)
    return jnp.where(in_furn[..., None], furn, img)

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
    return depth, drawn, held, size, left, top, rgb

  def composite(state: PlayhouseState, col: Columns, img: jax.Array) -> jax.Array:
    depth, drawn, held, size, left, top, rgb = sprite_params(state)
    scale = sprites.SIZE / size
    u = (cols_px[:, None] - left[None, :]) * scale[None, :]  # [W, N]
    in_col = (u >= 0) & (u < sprites.SIZE) & drawn[None, :]
    in_col = in_col & ((depth[None, :] < col.t_wall[:, None]) | held[None, :])
    iu = jnp.clip(jnp.floor(u), 0, sprites.SIZE - 1).astype(jnp.int32)
    behind = (depth[None, :] > col.t_furn[:, None]) & ~held[None, :]
    occl = jnp.where(behind, col.furn_top[:, None], h + 1.0)
    vals, idx = jax.lax.top_k(jnp.where(in_col, -depth[None, :], -jnp.inf), cfg.sprite_layers)
    for k in reversed(range(cfg.sprite_layers)):  # farthest layer first
      s = idx[:, k]
      word = sprite_cols[state.obj_type[s] * sprites.SIZE + iu[jnp.arange(w), s]]
      v = (rows - top[s]) * scale[s]
      iv = jnp.clip(jnp.floor(v), 0, sprites.SIZE - 1).astype(jnp.uint32)
      code = (word >> (2 * iv)) & 3
      vis = (v >= 0) & (v < sprites.SIZE) & (code != 0) & (vals[:, k] > -jnp.inf)
      vis = vis & (rows < occl[jnp.arange(w), s])
      c1 = rgb[s]
      colour = jnp.where(
        (code == 1)[..., None],
        c1,
        jnp.where((code == 2)[..., None], 0.62 * c1, jnp.asarray(ACCENT_RGB, jnp.float32)),
      )
      img = jnp.where(vis[..., None], colour, img)
    return img

  def render(state: PlayhouseState) -> jax.Array:
    fwd = geometry.direction(state.heading, cfg.num_headings)
    right = jnp.stack([-fwd[1], fwd[0]])
    rd = fwd[None, :] + camx[:, None] * right[None, :]
    col = columns(state, rd)
    img = composite(state, col, scene(state, rd, col))
    return jnp.clip(img, 0.0, 255.0).astype(jnp.uint8)

  return render
