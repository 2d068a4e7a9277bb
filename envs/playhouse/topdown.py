"""Top-down map render for debugging and videos (not on the training path)."""

import jax
import jax.numpy as jnp
import numpy as np

from envs.playhouse import geometry, render, sprites
from envs.playhouse.config import (
  COLOUR_RGB,
  EMPTY,
  FLOOR_RGB,
  SHELF_RGB,
  TABLE_TOP_RGB,
  PlayhouseConfig,
)
from envs.playhouse.state import PlayhouseState

_MATERIAL_RGB = ((0, 0, 0), (58, 58, 68), TABLE_TOP_RGB, SHELF_RGB)
_ICON_CELLS = 0.8  # an object icon spans this many cells


def make_map_renderer(cfg: PlayhouseConfig):
  """Returns render_map(state, highlight bool[N]) -> uint8[G*px, G*px, 3]."""
  g, px = cfg.grid_size, cfg.map_cell_px
  coords = (np.arange(g * px) + 0.5) / px
  xs = jnp.asarray(coords[None, :], jnp.float32)
  ys = jnp.asarray(coords[:, None], jnp.float32)
  material_rgb = jnp.asarray(_MATERIAL_RGB, jnp.float32)
  floor_rgb = jnp.asarray(FLOOR_RGB, jnp.float32)
  colour_rgb = jnp.asarray(COLOUR_RGB, jnp.float32)
  codes = jnp.asarray(sprites.sprite_codes(), jnp.int32)

  def icon(img, state, slot, highlight):
    o = state.obj_pos[slot]
    u = ((xs - o[0]) / _ICON_CELLS + 0.5) * sprites.SIZE
    v = ((ys - o[1]) / _ICON_CELLS + 0.5) * sprites.SIZE
    inside = (u >= 0) & (u < sprites.SIZE) & (v >= 0) & (v < sprites.SIZE)
    iu = jnp.clip(u.astype(jnp.int32), 0, sprites.SIZE - 1)
    iv = jnp.clip(v.astype(jnp.int32), 0, sprites.SIZE - 1)
    code = codes[state.obj_type[slot]][iv, iu]
    c1 = colour_rgb[state.obj_colour[slot]]
    rgb = jnp.where((code == 1)[..., None], c1, jnp.where((code == 2)[..., None], 0.62 * c1, 30.0))
    show = inside & (code > 0) & (state.held != slot)
    ring = jnp.abs(jnp.hypot(xs - o[0], ys - o[1]) - 0.55) < 0.06
    img = jnp.where((ring & highlight[slot])[..., None], jnp.asarray([255.0, 230, 0]), img)
    return jnp.where(show[..., None], rgb, img)

  def agent(img, state):
    fwd = geometry.direction(state.heading, cfg.num_headings)
    dx, dy = xs - state.pos[0], ys - state.pos[1]
    r = jnp.hypot(dx, dy)
    along = dx * fwd[0] + dy * fwd[1]
    across = jnp.abs(-dx * fwd[1] + dy * fwd[0])
    nose = (along > 0) & (along < 0.75) & (across < 0.08)
    img = jnp.where((r < 0.3)[..., None], jnp.asarray([250.0, 250, 250]), img)
    img = jnp.where(((r >= 0.22) & (r < 0.3))[..., None], jnp.asarray([20.0, 20, 20]), img)
    return jnp.where(nose[..., None], jnp.asarray([230.0, 30, 30]), img)

  def render_map(state: PlayhouseState, highlight: jax.Array) -> jax.Array:
    mat = jnp.repeat(jnp.repeat(state.cells.astype(jnp.int32), px, 0), px, 1)
    floor = render.room_select(state, xs[..., None], ys[..., None], floor_rgb[state.room_floor])
    grid_line = ((jnp.mod(xs, 1.0) < 1.0 / px) | (jnp.mod(ys, 1.0) < 1.0 / px))[..., None]
    floor = floor * jnp.where(grid_line, 0.9, 1.0)
    img = jnp.where((mat == EMPTY)[..., None], floor, material_rgb[mat])
    for slot in range(cfg.num_objects):
      img = icon(img, state, slot, highlight)
    img = agent(img, state)
    return jnp.clip(img, 0, 255).astype(jnp.uint8)

  return render_map
