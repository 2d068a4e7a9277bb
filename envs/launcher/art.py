"""Precomputed launcher art (numpy, host side): icons, cell tiles, wallpapers, overlays.

Everything is drawn once at the base resolution (`layout`). Tiles are RGB plus a bool mask,
one per app and one empty tile (index NUM_APPS); the renderer gathers and composites them.
"""

import functools
from typing import NamedTuple

import numpy as np

from envs.launcher import apps, draw, font, layout, screens

SHAPES = ("circle", "square", "diamond", "squircle", "shield")
NUM_WALLPAPERS = 12
HELDOUT_WALLPAPERS = (3, 7, 11)  # never in training frames (agent or CLIP): held-out screens
# Every app's screen is drawn this many times, each with its own content; an episode shows one
# of them. The last HELDOUT_SCREENS are never in training frames (agent or CLIP).
NUM_SCREENS = 32
HELDOUT_SCREENS = 8
DRAWER_RGB = (32, 33, 36)


def icon_mask(shape: str) -> np.ndarray:
  n = layout.ICON
  ys, xs = np.mgrid[:n, :n] + 0.5
  dy, dx = ys - n / 2, xs - n / 2
  if shape == "circle":
    return dy**2 + dx**2 <= (n / 2) ** 2
  if shape == "square":
    return np.abs(dy) + np.abs(dx) <= n - 2.5
  if shape == "diamond":
    return np.abs(dy) + np.abs(dx) <= n / 2 + 0.5
  if shape == "squircle":
    return (np.abs(dy) / (n / 2)) ** 4 + (np.abs(dx) / (n / 2)) ** 4 <= 1.0
  if shape == "shield":
    return (dy <= 0) | (dy**2 + dx**2 <= (n / 2) ** 2)
  raise ValueError(shape)


def icon(index: int) -> tuple[np.ndarray, np.ndarray]:
  """(float32 RGB, bool mask) [ICON, ICON] of app `index`: shape, colour, glyph, accent."""
  app = apps.APPS[index]
  colour = apps.rgb(app.colour)
  mask = icon_mask(SHAPES[index % len(SHAPES)])
  img = draw.canvas(layout.ICON, layout.ICON, colour)
  if (index // len(SHAPES)) % 2:  # a lighter lower half on every other group: two-tone icons
    img[layout.ICON // 2 + 1 :] = draw.mix(colour, (255, 255, 255), 0.45)
  ink = font.rasterise(app.glyph)
  glyph_colour = draw.ink_on(colour)
  y, x = (layout.ICON - font.GLYPH_H) // 2, (layout.ICON - font.GLYPH_W) // 2
  img[y : y + font.GLYPH_H, x : x + font.GLYPH_W][ink] = glyph_colour
  return img, mask


class Tiles(NamedTuple):
  rgb: np.ndarray  # uint8[2 * (NUM_APPS + 1), CELL_H, CELL_W, 3]: labelled tiles, then dock
  mask: np.ndarray  # bool[...] the same, where the tile covers the background


def tiles() -> Tiles:
  n = apps.NUM_APPS + 1
  rgb = np.zeros((2 * n, layout.CELL_H, layout.CELL_W, 3), np.float32)
  mask = np.zeros((2 * n, layout.CELL_H, layout.CELL_W), bool)
  for i in range(apps.NUM_APPS):
    img, m = icon(i)
    for t, y in ((i, layout.ICON_Y), (n + i, layout.DOCK_ICON_Y)):
      rgb[t, y : y + layout.ICON, layout.ICON_X : layout.ICON_X + layout.ICON][m] = img[m]
      mask[t, y : y + layout.ICON, layout.ICON_X : layout.ICON_X + layout.ICON] = m
    label = font.fit(apps.APPS[i].label, layout.CELL_W)
    ink = font.rasterise(label)
    x = (layout.CELL_W - ink.shape[1]) // 2
    region = (slice(layout.LABEL_Y, layout.LABEL_Y + font.GLYPH_H), slice(x, x + ink.shape[1]))
    rgb[i][region][ink] = 255.0
    mask[i][region] |= ink
  return Tiles(draw.to_uint8(rgb), mask)


def wallpaper(index: int) -> np.ndarray:
  """uint8[H, W, 3] procedural wallpaper `index`: gradients, stripes, discs, waves."""
  rng = np.random.default_rng(500 + index)
  a, b = (tuple(int(v) for v in rng.integers(20, 200, 3)) for _ in range(2))
  ys, xs = np.mgrid[: layout.H, : layout.W] + 0.5
  style = index % 4
  if style == 0:  # vertical gradient
    t = ys / layout.H
  elif style == 1:  # diagonal stripes
    t = ((ys + xs) // 12 % 2) * 0.6 + ys / layout.H * 0.4
  elif style == 2:  # soft discs
    t = np.zeros_like(ys)
    for cy, cx, r in zip(
      rng.uniform(0, layout.H, 5), rng.uniform(0, layout.W, 5), rng.uniform(10, 26, 5), strict=True
    ):
      t = np.maximum(t, np.clip(1 - np.hypot(ys - cy, xs - cx) / r, 0, 1))
  else:  # waves
    t = 0.5 + 0.5 * np.sin(ys / 9 + 2 * np.sin(xs / 14 + index))
  img = np.asarray(a, np.float32) * (1 - t[..., None]) + np.asarray(b, np.float32) * t[..., None]
  return draw.to_uint8(img)


def _status_bar() -> np.ndarray:
  """bool[H, W]: the status bar's white ink (the time, a battery)."""
  ink = draw.canvas(layout.H, layout.W, (0, 0, 0))
  draw.text(ink, 1, 2, layout.STATUS_TIME, (1, 1, 1))
  draw.rect(ink, 1, layout.W - 7, 5, layout.W - 2, (1, 1, 1))
  return ink[..., 0] > 0


class Overlays(NamedTuple):
  """What sits above the tiles: uint8 RGB and bool masks [K, H, W(, 3)]."""

  home_rgb: np.ndarray  # [pages]: status bar, search widget, page dots (page k highlighted)
  home_mask: np.ndarray
  drawer_bg: np.ndarray  # [drawer pages]: background, search bar, scroll indicator, status bar


def overlays(num_pages: int, drawer_pages: int) -> Overlays:
  home_rgb = np.zeros((num_pages, layout.H, layout.W, 3), np.float32)
  home_mask = np.zeros((num_pages, layout.H, layout.W), bool)
  status = _status_bar()
  for page in range(num_pages):
    img, mask = home_rgb[page], home_mask[page]
    img[status] = 255.0
    mask |= status
    draw.rounded_rect(img, 9, 4, 17, layout.W - 5, 4, (255, 255, 255))
    pill = np.zeros((layout.H, layout.W, 3), np.float32)
    draw.rounded_rect(pill, 9, 4, 17, layout.W - 5, 4, (1, 1, 1))
    mask |= pill[..., 0] > 0
    draw.text(img, 11, 7, "G", (66, 133, 244))
    draw.rect(img, 12, 13, 14, 40, (200, 200, 200))
    y = layout.DOCK_ROW * layout.CELL_H + layout.DOTS_Y
    x0 = layout.W // 2 - 3 * num_pages // 2
    for k in range(num_pages):
      x = x0 + 3 * k
      draw.rect(img, y, x, y + 2, x + 2, (255, 255, 255) if k == page else (150, 150, 150))
      mask[y : y + 2, x : x + 2] = True
  drawer = np.zeros((drawer_pages, layout.H, layout.W, 3), np.float32)
  for page in range(drawer_pages):
    img = drawer[page]
    img[:] = DRAWER_RGB
    img[status] = 255.0
    draw.rounded_rect(img, 9, 4, 17, layout.W - 5, 4, (60, 64, 67))
    draw.text(img, 11, 8, "SEARCH", (170, 170, 170))
    span = (layout.H - layout.CELL_H) // drawer_pages
    draw.rect(
      img,
      layout.CELL_H + span * page,
      layout.W - 2,
      layout.CELL_H + span * (page + 1),
      layout.W,
      (150, 150, 150),
    )
  return Overlays(draw.to_uint8(home_rgb), home_mask, draw.to_uint8(drawer))


def wallpapers() -> np.ndarray:
  return np.stack([wallpaper(i) for i in range(NUM_WALLPAPERS)])


@functools.cache
def app_screens() -> np.ndarray:
  """uint8 [NUM_APPS, NUM_SCREENS, H, W, 3]: every app's screen, drawn NUM_SCREENS times."""
  out = np.stack(
    [np.stack([screens.app_screen(i, v) for v in range(NUM_SCREENS)]) for i in range(apps.NUM_APPS)]
  )
  out.flags.writeable = False
  return out
