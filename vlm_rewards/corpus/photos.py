"""Pictures of objects, one image per call: photos, cartoon illustrations, indoor scenes.

A drawer takes a key, the image's spec (the concept ids the caption talks about, decided on
the host) and the static image size; the key decides everything the captions do not name:
placement, scale, light, textures, clutter, room geometry.
"""

import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import concepts as C
from vlm_rewards.corpus import raster as R
from vlm_rewards.corpus import sprites as SP

BG_TABLE = np.asarray(
  [
    (*b.upper, *b.lower, b.sky, b.planks, b.tiles, b.rough, b.corner, b.floats)
    for b in C.BACKGROUNDS
  ],
  np.float32,
)
ROOM_TABLE = np.asarray([(*r.wall, *r.floor, r.tiles) for r in C.ROOMS], np.float32)
SIDE, TOP, CLOSE = range(len(C.VIEWPOINTS))


def floor_texture(fx, fz, planks, tiles, rough, noise, fine):
  """Brightness factor of a floor at floor-plane coordinates (fx across, fz in depth): boards,
  a tiled checker with grout, or coarse grain, mixed by the three weights."""
  board = jnp.floor(fx * 3.0)
  seam = jnp.mod(fx * 3.0, 1.0) < 0.06
  tone = jnp.mod(board * 0.618034, 1.0)  # golden-ratio steps: neighbouring boards differ
  streak = R.triangle_wave(fz * 2.5 + 0.6 * noise)
  plank = (0.84 + 0.3 * tone + 0.08 * streak) * jnp.where(seam, 0.75, 1.0)
  grout = (jnp.mod(fx * 2.0, 1.0) < 0.05) | (jnp.mod(fz * 2.0, 1.0) < 0.05)
  check = jnp.mod(jnp.floor(fx * 2.0) + jnp.floor(fz * 2.0), 2.0)
  tile = jnp.where(grout, 0.78, 0.93 + 0.1 * check)
  grain = 1.0 + 0.14 * noise + 0.1 * fine
  return 1.0 + planks * (plank - 1.0) + tiles * (tile - 1.0) + rough * (grain - 1.0)


def _floor_plane(dice, y, x, line, top):
  """Floor-plane coordinates below `line` [S, S] seen in perspective, or the frame itself
  (turned and scaled) seen from above; and how much texture detail survives the distance."""
  dist = jnp.maximum(y - line, 0.0)
  fz = 0.32 / (dist + 0.03)
  fx = (x - 0.5) * fz
  turn, zoom = dice.uniform(-np.pi, np.pi), dice.uniform(2.5, 4.5)
  tx, tz = R.rotate(x * zoom, y * zoom, turn)
  fade = jnp.where(top, 1.0, jnp.clip(dist * 7.0, 0.0, 1.0))
  return jnp.where(top, tx, fx), jnp.where(top, tz, fz), fade


def surroundings(dice, y, x, px, bg, horizon, top):
  """A photo background: wall or sky above `horizon`, a textured surface below (everywhere
  from the top); a room corner bends the floor line down on both sides of a corner."""
  size = y.shape[0]
  noise, clouds = R.smooth_noise(dice, size, 6), R.smooth_noise(dice, size, 4)
  fine = R.pixel_noise(dice, y.shape)
  upper = SP.jitter_colour(dice, bg[0:3], 0.08)
  lower = SP.jitter_colour(dice, bg[3:6], 0.1)
  sky, planks, tiles, rough, corner = bg[6], bg[7], bg[8], bg[9], bg[10]
  corner_x = dice.uniform(0.2, 0.8)
  t = jnp.clip((horizon - y) / jnp.maximum(horizon, 0.2), 0.0, 1.0)
  sky_rgb = R.mix(upper + (255.0 - upper) * 0.45, upper * 0.85, t)
  sky_rgb = R.over(sky_rgb, jnp.asarray([250.0, 250.0, 252.0]), jnp.clip(clouds * 3.0 - 0.6, 0, 1))
  wall = 1.0 - 0.1 * y - corner * 0.13 * (x < corner_x)
  upper_rgb = R.mix(R.scale(upper, wall), sky_rgb, sky)
  line = horizon + corner * 0.3 * jnp.abs(x - corner_x)
  below = jnp.where(top, 1.0, R.coverage(line - y, px))
  fx, fz, fade = _floor_plane(dice, y, x, line, top)
  tone = 1.0 + fade * (floor_texture(fx, fz, planks, tiles, rough, noise, fine) - 1.0)
  depth = jnp.where(top, 1.0, 0.82 + 0.25 * jnp.clip((y - line) * 2.0, 0.0, 1.0))
  lower_rgb = R.scale(lower, tone * depth)
  return R.over(upper_rgb, lower_rgb, below)


def flat_backdrop(dice, y, px, bg, horizon, top):
  """A cartoon background: a pastel fill and, seen from the side, a flat ground band."""
  fill = dice.uniform(40.0, 255.0, (3,))
  fill = jnp.where(dice.chance(0.5), fill + (255.0 - fill) * 0.6, bg[0:3])
  ground = bg[3:6] * 0.9
  band = R.coverage(horizon + 0.01 - y, px) * (1.0 - top) * (1.0 - bg[11])
  return R.over(R.fill(fill, y.shape), ground, band)


def clutter(dice, rgb, y, x, px, y_lo, count=4, flat=False):
  """Small random shapes (crumbs, pebbles, confetti) below `y_lo`, each there half the time."""
  cx, cy = dice.uniform(0.03, 0.97, (count,)), dice.uniform(0.0, 1.0, (count,))
  cy = y_lo + (1.0 - y_lo) * cy
  r = dice.uniform(0.012, 0.04, (count,))
  ry = r * (1.0 if flat else 0.6)
  cols = dice.uniform(20.0, 240.0, (count, 3))
  radius = jnp.where(dice.chance(0.5, (count,)), ry, 0.3 * ry)
  on = dice.chance(0.5, (count,))
  for i in range(count):
    a = R.box(y, x, cy[i], cx[i], ry[i], r[i], radius[i], px)
    rgb = R.over(rgb, cols[i], a * on[i])
  return rgb


def camera(dice, rgb, y, x):
  """Exposure, a light gradient, vignetting, a colour cast and sensor noise."""
  gain = dice.uniform(0.8, 1.15)
  angle = dice.uniform(-np.pi, np.pi)
  gx, gy = R.solid(dice.uniform(0.0, 0.4) * jnp.stack([jnp.cos(angle), jnp.sin(angle)]))
  slope = gx * (x - 0.5) + gy * (y - 0.5)
  vignette = 1.0 - dice.uniform(0.0, 0.5) * ((x - 0.5) ** 2 + (y - 0.5) ** 2)
  cast = 1.0 + 0.05 * dice.normal((3,))
  rgb = R.scale(R.scale(rgb, gain * (1.0 + slope) * vignette), cast)
  noise = dice.uniform(0.0, 8.0) * R.pixel_noise(dice, (3,) + y.shape)
  return tuple(p + noise[c] for c, p in enumerate(rgb))


def _light(dice):
  """A light direction from above, left or right."""
  a = dice.uniform(-2.4, -0.7)
  return R.solid(jnp.stack([jnp.cos(a), jnp.sin(a)]))


def _ranks(dice, on):
  """A random order of the sprites that are on: rank i among them, for left-to-right slots."""
  u = dice.uniform(0.0, 1.0, on.shape)
  return jnp.sum((u[None, :] < u[:, None]) & on[None, :], axis=1)


def photo_layout(dice, n, view, floats, slots=3):
  """Places of `slots` objects (the first `n` on), their painting depth and the horizon."""
  top, close = view == TOP, view == CLOSE
  free = top | (floats > 0)
  on = jnp.arange(slots) < n
  nf = jnp.maximum(n, 1).astype(jnp.float32)
  t = dice.uniform()
  horizon = jnp.where(close, 0.15 + 0.3 * t, 0.28 + 0.3 * t)
  horizon = jnp.where(floats > 0, 0.8 + 0.25 * t, horizon)
  cx = (_ranks(dice, on) + 0.5 + dice.uniform(-0.2, 0.2, (slots,))) / nf
  scale = dice.uniform(0.13, 0.2, (slots,)) * (1.45 - 0.15 * nf)
  base = horizon + 0.2 + (0.77 - horizon) * dice.uniform(0.0, 1.0, (slots,))
  side_scale = scale * (0.6 + 0.8 * (base - horizon) / (1.0 - horizon))
  scale = jnp.where(free, scale, side_scale)
  cy = jnp.where(free, dice.uniform(0.28, 0.72, (slots,)), base - 0.95 * scale)
  cx = jnp.clip(cx, 0.6 * scale, 1.0 - 0.6 * scale)
  scale = jnp.where(close, dice.uniform(0.3, 0.46), scale)
  cx = jnp.where(close, 0.5 + dice.uniform(-0.12, 0.12), cx)
  cy = jnp.where(close, 0.5 + dice.uniform(-0.1, 0.1), cy)
  flip = jnp.where(dice.chance(0.5, (slots,)), -1.0, 1.0)
  turn = jnp.where(top, dice.uniform(-np.pi, np.pi, (slots,)), 0.08 * dice.normal((slots,)))
  depth = jnp.where(free, jnp.arange(slots, dtype=jnp.float32), cy + scale)
  place = SP.Place(cx, cy, scale, flip, turn, on.astype(jnp.float32))
  return R.solid(place, depth, horizon)


def _colours(dice, ids):
  return SP.jitter_colour(dice, jnp.asarray(SP.COLOUR_RGB)[ids])


def draw_objects(key, spec, size: int, cartoon: bool):
  """A photo (or, with `cartoon`, a flat illustration) of 1-3 objects: spec holds n, cats[3],
  colours[3], materials[3] (-1: none), background, view."""
  y, x = R.grid(size)
  px = 1.0 / size
  dice = R.Dice(key)
  bg = jnp.asarray(BG_TABLE)[spec["background"]]
  view = spec["view"]
  place, depth, horizon = photo_layout(dice, spec["n"], view, bg[11])
  top = (view == TOP).astype(jnp.float32)
  if cartoon:
    rgb = flat_backdrop(dice, y, px, bg, horizon, top)
    rgb = clutter(dice, rgb, y, x, px, 0.0, flat=True)
  else:
    rgb = surroundings(dice, y, x, px, bg, horizon, top)
    rgb = clutter(dice, rgb, y, x, px, jnp.where(top > 0, 0.0, horizon + 0.03))
    for i in range(place.cx.shape[0]):
      slot = SP.Place(*(f[i] for f in place))
      rgb = SP.shadow(rgb, y, x, px, slot._replace(on=slot.on * (1.0 - bg[11])), top)
  look = SP.Look(
    photo=0.0 if cartoon else 1.0,
    outline=1.0 if cartoon else 0.0,
    light=_light(dice),
    material=jnp.zeros(3),
  )
  grain = R.smooth_noise(dice, size, 12)
  colours = R.solid(_colours(dice, spec["colours"]))
  rgb = SP.paint_sorted(
    rgb, y, x, px, spec["cats"], colours, place, look, spec["materials"], grain, depth
  )
  if not cartoon:
    rgb = camera(dice, rgb, y, x)
  return R.to_uint8(rgb)


def room(dice, y, x, px, room_id):
  """An indoor view: back wall, side walls, ceiling, a floor in perspective, a window, a
  picture, a door and a rug, each there at random. Returns the image, the horizon and the
  floor line [S, S] (where walls meet the floor)."""
  size = y.shape[0]
  row = jnp.asarray(ROOM_TABLE)[room_id]
  wall = SP.jitter_colour(dice, row[0:3], 0.08)
  floor = SP.jitter_colour(dice, row[3:6], 0.1)
  h = dice.uniform(0.32, 0.5)
  xl, xr, slope = dice.uniform(-0.4, 0.35), dice.uniform(0.65, 1.4), dice.uniform(0.35, 0.8)
  out = jnp.maximum(xl - x, 0.0) + jnp.maximum(x - xr, 0.0)
  line = h + slope * out
  ceiling = h - dice.uniform(0.32, 0.5) - slope * out
  shade = jnp.where(x < xl, 0.8, jnp.where(x > xr, 0.9, 1.0)) * (1.0 - 0.12 * (line - y))
  rgb = R.scale(wall, shade)
  rgb = R.over(rgb, jnp.asarray([236.0, 236.0, 232.0]), R.coverage(y - ceiling, px))
  rgb = _wall_things(dice, rgb, y, x, px, h, xl, xr)
  rgb = R.over(rgb, wall * 0.7, R.coverage(jnp.abs(y - line + 0.008) - 0.008, px))
  noise = R.smooth_noise(dice, size, 6)
  fx, fz, fade = _floor_plane(dice, y, x, line, jnp.bool_(False))
  tone = floor_texture(fx, fz, 1.0 - row[6], row[6], 0.15, noise, 0.0)
  floor_rgb = R.scale(floor, 1.0 + fade * (tone - 1.0))
  rgb = R.over(rgb, floor_rgb, R.coverage(line - y, px))
  rug_col = dice.uniform(60.0, 220.0, (3,))
  cy, cx = dice.uniform(h + 0.15, 0.85), dice.uniform(0.3, 0.7)
  rug = R.ellipse(y, x, cy, cx, dice.uniform(0.05, 0.1), dice.uniform(0.2, 0.38), px)
  rgb = R.over(rgb, rug_col, rug * dice.chance(0.5))
  return rgb, h, line


def _wall_things(dice, rgb, y, x, px, h, xl, xr):
  """A window, a framed picture and a door on the back wall, each there 60% of the time."""
  lo, hi = jnp.maximum(xl, 0.0) + 0.12, jnp.minimum(xr, 1.0) - 0.12
  on = dice.chance(0.6, (3,))
  wx, wy = dice.uniform(lo, hi), h - dice.uniform(0.16, 0.28)
  ww, wh = dice.uniform(0.07, 0.13), dice.uniform(0.08, 0.13)
  frame = R.box(y, x, wy, wx, wh, ww, 0.0, px)
  rgb = R.over(rgb, jnp.asarray([246.0, 246.0, 246.0]), frame * on[0])
  bars = jnp.maximum(
    R.box(y, x, wy, wx, 0.006, ww, 0.0, px), R.box(y, x, wy, wx, wh, 0.006, 0.0, px)
  )
  pane = R.box(y, x, wy, wx, wh - 0.012, ww - 0.012, 0.0, px) * (1.0 - bars)
  glass = R.mix(
    jnp.asarray([130.0, 176.0, 216.0]), jnp.asarray([170.0, 216.0, 255.0]), (y - wy) / wh
  )
  rgb = R.over(rgb, glass, pane * on[0])
  pxc, pyc = dice.uniform(lo, hi), h - dice.uniform(0.18, 0.3)
  art = dice.uniform(30.0, 240.0, (2, 3))
  inner = R.pick(x > pxc, art[0], art[1])
  rgb = R.over(
    rgb, jnp.asarray([70.0, 50.0, 36.0]), R.box(y, x, pyc, pxc, 0.07, 0.09, 0, px) * on[1]
  )
  rgb = R.over(rgb, inner, R.box(y, x, pyc, pxc, 0.055, 0.075, 0.0, px) * on[1])
  dx, dh = dice.uniform(lo, hi), dice.uniform(0.26, 0.36)
  door = R.box(y, x, h - dh / 2, dx, dh / 2, 0.07, 0.0, px) * on[2]
  rgb = R.over(rgb, jnp.asarray([150.0, 104.0, 64.0]), door)
  knob = R.ellipse(y, x, h - dh * 0.45, dx + 0.045, 0.01, 0.01, px) * on[2]
  return R.over(rgb, jnp.asarray([220.0, 190.0, 80.0]), knob)


def scene_layout(dice, n, h, line_at, slots=3, furniture=2):
  """Places of `furniture` big pieces against the walls and `slots` objects (first `n` on) on
  the floor, scaled by their distance below the horizon."""
  fx = (jnp.arange(furniture) + dice.uniform(0.1, 0.9, (furniture,))) / furniture
  fbase = line_at(fx) + dice.uniform(0.0, 0.06, (furniture,))
  fscale = (fbase - h + 0.06) * dice.uniform(1.0, 1.5, (furniture,))
  obase = h + 0.12 + (0.86 - h) * dice.uniform(0.0, 1.0, (slots,))
  oscale = (obase - h + 0.04) * dice.uniform(0.3, 0.45, (slots,))
  base = jnp.concatenate([fbase, obase])
  scale = jnp.concatenate([fscale, oscale])
  cx = jnp.concatenate([fx, dice.uniform(0.1, 0.9, (slots,))])
  on = jnp.concatenate([jnp.ones(furniture), (jnp.arange(slots) < n).astype(jnp.float32)])
  flip = jnp.where(dice.chance(0.5, cx.shape), -1.0, 1.0)
  turn = 0.05 * dice.normal(cx.shape)
  return R.solid(SP.Place(cx, base - 0.95 * scale, scale, flip, turn, on), base)


def draw_scene(key, spec, size: int):
  """An indoor scene: spec holds room, furniture[2], furniture_colours[2], n, cats[3],
  colours[3], materials[3]."""
  y, x = R.grid(size)
  px = 1.0 / size
  dice = R.Dice(key)
  rgb, h, line = room(dice, y, x, px, spec["room"])
  line_at = lambda cx: line[0, jnp.clip((cx * size).astype(jnp.int32), 0, size - 1)]
  place, depth = scene_layout(dice, spec["n"], h, line_at)
  for i in range(place.cx.shape[0]):
    rgb = SP.shadow(rgb, y, x, px, SP.Place(*(f[i] for f in place)), jnp.float32(0.0))
  cats = jnp.concatenate([spec["furniture"], spec["cats"]])
  colour_ids = jnp.concatenate([spec["furniture_colours"], spec["colours"]])
  colours = R.solid(_colours(dice, colour_ids))
  mats = jnp.concatenate([jnp.full_like(spec["furniture"], -1), spec["materials"]])
  look = SP.Look(1.0, 0.0, _light(dice), jnp.zeros(3))
  grain = R.smooth_noise(dice, size, 12)
  rgb = SP.paint_sorted(rgb, y, x, px, cats, colours, place, look, mats, grain, depth)
  return R.to_uint8(camera(dice, rgb, y, x))
