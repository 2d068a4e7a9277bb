"""Phone material shared by the app kinds: app tables, icons, status and navigation bars,
wallpapers, the device around a screen; and the app-icon and home-screen drawers.

Screens are drawn in phone units: u across in [0, 1], w down in [0, ASPECT] (a portrait
screen), so shapes keep their proportions on a phone seen whole and get squashed, as a
screenshot resized to a square would be, when the screen fills the frame.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import apps as A
from vlm_rewards.corpus import font
from vlm_rewards.corpus import raster as R

ASPECT = 2.0
NAME_LEN, LABEL_LEN, GLYPH_LEN = 20, 13, 2


def _app_tables():
  colour = np.asarray([A.rgb(a.colour) for a in A.APPS], np.float32)
  style = np.asarray([A.STYLES.index(a.style) for a in A.APPS], np.int32)
  kind = np.asarray([A.KINDS.index(a.kind) for a in A.APPS], np.int32)
  glyph = np.stack([font.encode(a.glyph, GLYPH_LEN) for a in A.APPS])
  glyph_len = np.asarray([len(a.glyph) for a in A.APPS], np.int32)
  name = np.stack([font.encode(a.name, NAME_LEN) for a in A.APPS])
  name_len = np.asarray([len(a.name) for a in A.APPS], np.int32)
  label = np.stack([font.encode(a.label, LABEL_LEN) for a in A.APPS])
  label_len = np.asarray([len(a.label) for a in A.APPS], np.int32)
  return colour, style, kind, glyph, glyph_len, name, name_len, label, label_len


(
  APP_RGB,
  APP_STYLE,
  APP_KIND,
  APP_GLYPH,
  APP_GLYPH_LEN,
  APP_NAME,
  APP_NAME_LEN,
  APP_LABEL,
  APP_LABEL_LEN,
) = _app_tables()
WHITE = np.asarray([252.0, 252.0, 252.0], np.float32)


class Screen(NamedTuple):
  """Where a screen lies in the frame, as phone-unit coordinates of every pixel."""

  u: jax.Array  # across, 0..1 on the screen
  w: jax.Array  # down, 0..ASPECT on the screen
  px: jax.Array  # a pixel's size in phone units
  inside: jax.Array  # 1 on the screen


def screen(y, x, size: int, x0, y0, width, height) -> Screen:
  """Phone-unit coordinates of a screen occupying [x0, x0 + width] x [y0, y0 + height]."""
  u = (x - x0) / width
  w = (y - y0) / height * ASPECT
  px = jnp.sqrt(ASPECT / (size * size * width * height))
  inside = R.box(y, x, y0 + height / 2, x0 + width / 2, height / 2, width / 2, 0.0, 1.0 / size)
  return Screen(u, w, px, inside)


class Theme(NamedTuple):
  paper: jax.Array
  ink: jax.Array
  faint: jax.Array  # secondary text
  line: jax.Array  # dividers and empty cells
  surface: jax.Array  # cards and keys


def theme(dark) -> Theme:
  """Light or dark colours (`dark` a traced bool)."""
  pick = lambda light, black: jnp.where(
    dark, jnp.asarray(black, jnp.float32), jnp.asarray(light, jnp.float32)
  )
  return Theme(
    pick((250, 250, 250), (30, 31, 34)),
    pick((36, 38, 42), (234, 234, 236)),
    pick((120, 124, 130), (152, 155, 160)),
    pick((222, 224, 228), (62, 64, 68)),
    pick((238, 240, 243), (46, 48, 52)),
  )


def icon(u, v, px, app, shape_override=-1):
  """An app icon centred at (0, 0) of half-size 1 in (u, v): returns (rgb, alpha).

  `app` may be an id per pixel (home-screen grids); `shape_override` 0/1 forces square or
  round icons (launcher themes), -1 keeps each app's own style.
  """
  colour = jnp.asarray(APP_RGB)[app]
  style = jnp.asarray(APP_STYLE)[app]
  round_ = jnp.where(shape_override >= 0, shape_override == 1, style == 1)
  d = R.box_distance(v, u, 0.0, 0.0, 1.0, 1.0, jnp.where(round_, 1.0, 0.42))
  alpha = R.coverage(d, px)
  on_white = style == 2
  fill = R.pick(on_white, WHITE, R.scale(colour, 1.05 - 0.12 * v))
  n = jnp.asarray(APP_GLYPH_LEN)[app]
  height = jnp.where(n > 1, 0.95, 1.3)
  left = -n * height * (font.CELL_COLS / font.CELL_ROWS) / 2 + 0.06 * height
  ink = R.glyph_run(u - left, v + 0.4 * height, jnp.asarray(APP_GLYPH), app, height)
  glyph_rgb = R.pick(on_white, colour, WHITE)
  rgb = R.over(fill, glyph_rgb, ink)
  return rgb, alpha


def clock_codes(dice: R.Dice) -> jax.Array:
  """int32 [5] glyph codes of a random time, "HH:MM"."""
  d = jnp.floor(dice.uniform(0.0, 1.0, (4,)) * jnp.asarray([2.0, 10.0, 6.0, 10.0]))
  digits = jnp.asarray(font.DIGITS)[d.astype(jnp.int32)]
  return jnp.concatenate([digits[:2], jnp.asarray([font.CODE[":"]]), digits[2:]])


def status_bar(rgb, s: Screen, dice: R.Dice, ink):
  """Clock digits at the left, signal bars and a battery at the right."""
  ink_a = R.text(s.w, s.u, clock_codes(dice)[None], 0.03, 0.05, 0.05)
  ink_a = jnp.maximum(ink_a, R.box(s.w, s.u, 0.055, 0.9, 0.018, 0.035, 0.004, s.px))
  for i in range(3):
    bar = R.box(s.w, s.u, 0.065 - 0.007 * i, 0.8 + 0.022 * i, 0.008 + 0.007 * i, 0.006, 0.0, s.px)
    ink_a = jnp.maximum(ink_a, bar)
  return R.over(rgb, ink, ink_a)


def nav_bar(rgb, s: Screen, dice: R.Dice, ink):
  """A gesture pill, or the back / home / recent buttons."""
  top = ASPECT - 0.05
  pill = R.box(s.w, s.u, top, 0.5, 0.008, 0.14, 0.008, s.px)
  back = R.segment(s.w, s.u, top - 0.016, 0.27, top, 0.24, 0.005, s.px)
  back = jnp.maximum(back, R.segment(s.w, s.u, top + 0.016, 0.27, top, 0.24, 0.005, s.px))
  home = R.ellipse(s.w, s.u, top, 0.5, 0.017, 0.017, s.px)
  home = home - R.ellipse(s.w, s.u, top, 0.5, 0.011, 0.011, s.px)
  recent = R.box(s.w, s.u, top, 0.73, 0.016, 0.016, 0.003, s.px)
  recent = recent - R.box(s.w, s.u, top, 0.73, 0.01, 0.01, 0.0, s.px)
  buttons = jnp.maximum(jnp.maximum(back, home), recent)
  return R.over(rgb, ink, jnp.where(dice.chance(0.5), pill, buttons))


def wallpaper(dice: R.Dice, s: Screen):
  """A gradient between two colours, with soft blobs or a row of hills."""
  a, b = dice.uniform(20.0, 240.0, (3,)), dice.uniform(20.0, 240.0, (3,))
  angle = dice.uniform(0.0, np.pi)
  gu, gw = R.solid(jnp.cos(angle), jnp.sin(angle) / ASPECT)
  t = jnp.clip(gu * s.u + gw * s.w, 0.0, 1.0)
  rgb = R.mix(a, b, t)
  blobs = R.smooth_noise(dice, s.u.shape[0], 3)
  style = dice.uniform(0.0, 3.0)
  tint = dice.uniform(20.0, 240.0, (3,))
  rgb = R.over(rgb, tint, jnp.clip(blobs * 2.0, 0.0, 0.6) * (style < 1.0))
  hill = 1.35 + 0.12 * jnp.sin(s.u * dice.uniform(4.0, 9.0) + dice.uniform(0.0, 6.0))
  return R.over(rgb, a * 0.55, R.coverage(hill - s.w, s.px) * (style > 2.0))


def device(dice: R.Dice, y, x, size: int, rgb_screen, s: Screen, x0, y0, width, height):
  """A phone body around the screen, on a table or a wall colour behind it."""
  px = 1.0 / size
  back = dice.uniform(80.0, 235.0, (3,))
  rgb = R.scale(back, 1.0 - 0.25 * y)
  cy, cx = y0 + height / 2, x0 + width / 2
  edge = R.box_distance(y, x, cy + 0.02, cx + 0.015, height / 2 + 0.03, width / 2 + 0.03, 0.06)
  shadow = R.coverage(edge - 0.02, 0.05)
  rgb = R.scale(rgb, 1.0 - 0.35 * shadow)
  body = R.box(y, x, cy, cx, height / 2 + 0.035, width / 2 + 0.025, 0.05, px)
  body_rgb = jnp.where(
    dice.chance(0.7), jnp.asarray([24.0, 24.0, 28.0]), dice.uniform(150, 230, (3,))
  )
  rgb = R.over(rgb, body_rgb, body)
  return R.over(rgb, rgb_screen, s.inside)


def frame_screen(dice: R.Dice, y, x, size: int):
  """The screen fills the frame 70% of the time; otherwise a phone stands in the picture.
  Returns the Screen, its rectangle (x0, y0, width, height) and whether it fills the frame."""
  whole = dice.chance(0.7)
  height = dice.uniform(0.8, 0.9)
  width = height / ASPECT * dice.uniform(1.0, 1.15)
  x0 = 0.5 - width / 2 + dice.uniform(-0.15, 0.15)
  y0 = (1.0 - height) / 2 + dice.uniform(-0.04, 0.04)
  rect = [
    jnp.where(whole, 0.0, x0),
    jnp.where(whole, 0.0, y0),
    jnp.where(whole, 1.0, width),
    jnp.where(whole, 1.0, height),
  ]
  return screen(y, x, size, *rect), rect, whole


def draw_icon(key, spec, size: int):
  """An app icon on a plain or wallpaper background, alone, over its name, or in a store
  listing with an install button: spec holds app and layout (0, 1, 2)."""
  y, x = R.grid(size)
  px = 1.0 / size
  dice = R.Dice(key)
  app, layout = spec["app"], spec["layout"]
  plain = jnp.where(dice.chance(0.5), WHITE, dice.uniform(200.0, 250.0, (3,)))
  s = screen(y, x, size, 0.0, 0.0, 1.0, 1.0 * ASPECT)
  rgb = R.pick(dice.chance(0.75), plain, wallpaper(dice, s))
  half = jnp.where(layout == 0, dice.uniform(0.22, 0.4), dice.uniform(0.17, 0.24))
  cx = jnp.where(layout == 2, 0.08 + half, 0.5 + dice.uniform(-0.08, 0.08))
  cy = jnp.where(layout == 1, 0.4, 0.5) + dice.uniform(-0.06, 0.06)
  shadow = R.coverage(R.box_distance(y, x, cy + 0.03, cx, half, half, 0.4 * half), 0.04)
  rgb = R.scale(rgb, 1.0 - 0.25 * shadow * dice.chance(0.5))
  icon_rgb, alpha = icon((x - cx) / half, (y - cy) / half, px / half, app)
  rgb = R.over(rgb, icon_rgb, alpha)
  height = jnp.where(layout == 2, 0.09, 0.085)
  width = R.text_width(jnp.asarray(APP_LABEL_LEN)[app], height)
  tx = jnp.where(layout == 2, cx + half + 0.06, 0.5 - width / 2)
  ty = jnp.where(layout == 2, cy - half + 0.02, cy + half + 0.05)
  names = jnp.asarray(APP_LABEL)[app][None]
  ink = R.text(y, x, names, ty, tx, height) * (layout > 0)
  rgb = R.over(rgb, jnp.asarray([40.0, 40.0, 44.0]), ink)
  button = R.box(y, x, cy + half * 0.55, tx + 0.15, 0.055, 0.15, 0.05, px) * (layout == 2)
  return R.to_uint8(R.over(rgb, jnp.asarray([16.0, 130.0, 80.0]), button))


def icon_grid(rgb, s: Screen, apps, rows: int, cols: int, top, bottom, labels, shape, ink):
  """Icons of `apps` (int [rows * cols], -1 empty) in a grid on the screen, with labels."""
  cell_w, cell_h = 1.0 / cols, (bottom - top) / rows
  ci = jnp.clip(jnp.floor((s.w - top) / cell_h), 0, rows - 1).astype(jnp.int32)
  cj = jnp.clip(jnp.floor(s.u * cols), 0, cols - 1).astype(jnp.int32)
  cell = ci * cols + cj
  app = apps[cell]
  inside = (s.w >= top) & (s.w < bottom) & (app >= 0)
  app = jnp.maximum(app, 0)
  half = 0.3 * cell_w
  cu, cv = (cj + 0.5) * cell_w, top + ci * cell_h + (0.45 if labels else 0.5) * cell_h
  icon_rgb, alpha = icon((s.u - cu) / half, (s.w - cv) / half, s.px / half, app, shape)
  rgb = R.over(rgb, icon_rgb, alpha * inside)
  if labels:
    height = 0.11 * cell_w
    n = jnp.minimum(jnp.asarray(APP_LABEL_LEN)[app], 9)
    left = cu - R.text_width(n, height) / 2
    label_codes = jnp.asarray(APP_LABEL)[:, :9]
    text = R.glyph_run(s.u - left, s.w - cv - half * 1.15, label_codes, app, height)
    rgb = R.over(rgb, ink, text * inside)
  return rgb


def draw_home(key, spec, size: int):
  """A home screen: wallpaper, status bar, a search bar, a 5 x 4 grid of labelled icons
  (-1: empty cell), page dots and a dock of 4 icons. spec holds grid [20], dock [4]."""
  y, x = R.grid(size)
  dice = R.Dice(key, 1024)
  s, rect, whole = frame_screen(dice, y, x, size)
  rgb = wallpaper(dice, s)
  white = jnp.asarray(WHITE)
  shape = jnp.round(dice.uniform(-1.4, 1.4)).astype(jnp.int32)
  rgb = status_bar(rgb, s, dice, white)
  top_search = dice.chance(0.5)
  sw = jnp.where(top_search, 0.2, 1.62)
  search = R.box(s.w, s.u, sw, 0.5, 0.045, 0.42, 0.045, s.px)
  rgb = R.over(rgb, white * 0.97, search)
  rgb = R.over(
    rgb,
    jnp.asarray([66.0, 133.0, 244.0]),
    R.text(s.w, s.u, jnp.asarray([[font.CODE["G"]]]), sw - 0.03, 0.12, 0.06),
  )
  grid_top = jnp.where(top_search, 0.3, 0.14)
  rgb = icon_grid(rgb, s, spec["grid"], 5, 4, grid_top, grid_top + 1.2, True, shape, white)
  dots = sum(R.ellipse(s.w, s.u, 1.57, 0.46 + 0.04 * i, 0.008, 0.008, s.px) for i in range(3))
  rgb = R.over(rgb, white, dots * top_search)
  dock = R.box(s.w, s.u, 1.8, 0.5, 0.09, 0.46, 0.06, s.px)
  rgb = R.over(rgb, white, dock * 0.3)
  rgb = icon_grid(rgb, s, spec["dock"], 1, 4, 1.71, 1.89, False, shape, white)
  rgb = nav_bar(rgb, s, dice, white)
  out = device(dice, y, x, size, rgb, s, *rect)
  return R.to_uint8(R.pick(whole, rgb, out))
