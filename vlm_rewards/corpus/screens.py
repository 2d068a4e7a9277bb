"""App screenshots: a status bar, an app bar with the app's name, content of the app's kind
with random text, numbers, colours and pictures drawn anew per image, and navigation.

Each screen kind (`apps.SCREENS`) is a row of `LAYOUTS`: which bar, which picture-like
"hero" block on top (how tall), which body below it (list rows, a grid of cells, text lines
or chat bubbles) and its grid, extras (floating button, tab bar) and how often it is dark.
The blocks (`blocks.py` and the bars below) add rows to display lists (`layers`), masked on
or off per image, so shapes stay static and the painting loops compile once.
"""

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import apps as A
from vlm_rewards.corpus import layers as LY
from vlm_rewards.corpus import phone as PH
from vlm_rewards.corpus import raster as R
from vlm_rewards.corpus.blocks import (
  B_BUBBLES,
  B_GRID,
  B_LINES,
  B_NONE,
  B_ROWS,
  C_CANDY,
  C_CARDS,
  C_COLOURS,
  C_DAYS,
  C_DIALPAD,
  C_KEYS,
  C_SHEET,
  C_TILES,
  CHECK,
  CIRCLE,
  H_BARS,
  H_CARD,
  H_DIAL,
  H_DIGITS,
  H_MAP,
  H_NONE,
  H_PICTURE,
  H_PLAYER,
  H_WAVE,
  NO_AVATAR,
  SQUARE,
  WHITE,
  Lists,
  Look,
  content,
  new_lists,
)

BAR_COLOUR, BAR_PLAIN, BAR_NONE = range(3)

# kind: (bar, hero, hero share, body, rows, cols, cell, avatar, fab, tabs, dark chance)
# fmt: off
LAYOUTS = {
  "inbox": (BAR_PLAIN, H_NONE, 0, B_ROWS, 7, 1, 0, CIRCLE, 1, 0, .2),
  "chat": (BAR_COLOUR, H_NONE, 0, B_BUBBLES, 7, 1, 0, 0, 0, 0, .3),
  "sheet": (BAR_COLOUR, H_NONE, 0, B_GRID, 12, 5, C_SHEET, 0, 0, 0, 0),
  "browser": (BAR_PLAIN, H_PICTURE, .35, B_LINES, 0, 0, 0, 0, 0, 0, .2),
  "calculator": (BAR_NONE, H_DIGITS, .3, B_GRID, 5, 4, C_KEYS, 0, 0, 0, .4),
  "clock": (BAR_PLAIN, H_DIAL, .5, B_ROWS, 3, 1, 0, NO_AVATAR, 1, 1, .5),
  "dialer": (BAR_PLAIN, H_DIGITS, .2, B_GRID, 4, 3, C_DIALPAD, 0, 0, 1, .3),
  "calendar": (BAR_COLOUR, H_NONE, 0, B_GRID, 6, 7, C_DAYS, 0, 1, 0, .2),
  "document": (BAR_COLOUR, H_NONE, 0, B_LINES, 0, 0, 0, 0, 1, 0, .1),
  "slides": (BAR_COLOUR, H_PICTURE, .4, B_LINES, 0, 0, 0, 0, 0, 0, .1),
  "camera": (BAR_NONE, H_PICTURE, 1, B_NONE, 0, 0, 0, 0, 2, 0, 0),
  "gallery": (BAR_PLAIN, H_NONE, 0, B_GRID, 6, 3, C_COLOURS, 0, 0, 1, .3),
  "map": (BAR_NONE, H_MAP, 1, B_NONE, 0, 0, 0, 0, 1, 0, .1),
  "video": (BAR_PLAIN, H_PLAYER, .33, B_ROWS, 4, 1, 0, SQUARE, 0, 0, .4),
  "store": (BAR_PLAIN, H_PICTURE, .25, B_GRID, 3, 4, C_TILES, 0, 0, 1, .2),
  "settings": (BAR_PLAIN, H_NONE, 0, B_ROWS, 9, 1, 0, CIRCLE, 0, 0, .3),
  "contacts": (BAR_PLAIN, H_NONE, 0, B_ROWS, 8, 1, 0, CIRCLE, 1, 0, .3),
  "files": (BAR_PLAIN, H_NONE, 0, B_ROWS, 8, 1, 0, SQUARE, 1, 0, .2),
  "notes": (BAR_PLAIN, H_NONE, 0, B_GRID, 4, 2, C_CARDS, 0, 1, 0, .3),
  "music": (BAR_NONE, H_PICTURE, .55, B_ROWS, 3, 1, 0, SQUARE, 0, 0, .6),
  "fitness": (BAR_PLAIN, H_BARS, .4, B_ROWS, 4, 1, 0, CIRCLE, 0, 1, .3),
  "wallet": (BAR_PLAIN, H_CARD, .32, B_ROWS, 5, 1, 0, CIRCLE, 0, 0, .3),
  "news": (BAR_PLAIN, H_PICTURE, .3, B_ROWS, 5, 1, 0, SQUARE, 0, 1, .2),
  "feed": (BAR_PLAIN, H_PICTURE, .45, B_ROWS, 3, 1, 0, CIRCLE, 0, 1, .4),
  "shop": (BAR_COLOUR, H_PICTURE, .2, B_GRID, 3, 2, C_TILES, 0, 0, 1, .1),
  "weather": (BAR_NONE, H_DIGITS, .35, B_ROWS, 6, 1, 0, CIRCLE, 0, 0, .3),
  "game": (BAR_NONE, H_NONE, 0, B_GRID, 8, 6, C_CANDY, 0, 0, 0, .5),
  "terminal": (BAR_PLAIN, H_NONE, 0, B_LINES, 0, 0, 0, 0, 0, 0, 1),
  "todo": (BAR_COLOUR, H_NONE, 0, B_ROWS, 8, 1, 0, CHECK, 1, 0, .2),
  "translate": (BAR_COLOUR, H_CARD, .3, B_LINES, 0, 0, 0, 0, 0, 0, .1),
  "recorder": (BAR_PLAIN, H_WAVE, .4, B_ROWS, 4, 1, 0, CIRCLE, 0, 0, .3),
}
# fmt: on
LAYOUT_TABLE = np.asarray([LAYOUTS[k] for k in A.KINDS], np.float32)


def app_bar(ops: Lists, bar, look: Look):
  """A bar in the brand colour (white title) or the paper colour (dark title), or none: a
  menu sign, the app's name and a column of dots."""
  on = bar != BAR_NONE
  coloured = bar == BAR_COLOUR
  ink = jnp.where(coloured, WHITE, look.th.ink)
  ops.boxes.append(
    LY.box(0.13, 0.5, 0.13, 0.5, jnp.where(coloured, look.brand, look.th.paper), on=on)
  )
  ops.boxes.append(LY.grid_box(0.148, 0.045, 0.02, 0.07, 3, 1, 0.004, 0.035, ink, on=on))
  ops.boxes.append(
    LY.grid_box(0.139, 0.92, 0.022, 0.02, 3, 1, 0.007, 0.007, ink, radius=0.007, on=on)
  )
  ops.boxes.append(LY.box(0.262, 0.5, 0.003, 0.5, look.th.line, on=bar == BAR_PLAIN))
  ops.texts.append(LY.text(0.15, 0.17, 0.075, LY.NAME, ink, arg=look.app, on=on))


def status_bar(ops: Lists, bar, look: Look, over_picture):
  """The clock at the left, signal bars and a battery at the right."""
  coloured = bar == BAR_COLOUR
  light = coloured | look.dark | over_picture
  ink = jnp.where(light, WHITE, look.th.ink)
  ops.boxes.append(LY.box(0.05, 0.5, 0.05, 0.5, look.brand * 0.8, on=coloured))
  ops.texts.append(LY.text(0.03, 0.05, 0.05, LY.DIGITS, ink, min_len=5, max_len=5, salt=5))
  ops.boxes.append(LY.box(0.055, 0.9, 0.018, 0.035, ink, radius=0.004))
  ops.boxes.append(LY.grid_box(0.04, 0.79, 0.04, 0.022, 1, 3, 0.02, 0.006, ink, heights=LY.RAMP))


def nav_bar(ops: Lists, dice, look: Look):
  """A gesture pill, or the back / home / recent buttons."""
  top = PH.ASPECT - 0.05
  pill = dice.chance(0.5)
  ink = look.th.faint
  ops.boxes.append(LY.box(top, 0.5, 0.008, 0.14, ink, radius=0.008, on=pill))
  ops.boxes.append(LY.box(top, 0.5, 0.017, 0.017, ink, radius=0.017, ring=0.006, on=1 - pill))
  ops.boxes.append(LY.box(top, 0.73, 0.016, 0.016, ink, radius=0.003, ring=0.006, on=1 - pill))
  ops.strokes.append(LY.stroke(top - 0.016, 0.27, top, 0.24, 0.005, ink, on=1 - pill))
  ops.strokes.append(LY.stroke(top + 0.016, 0.27, top, 0.24, 0.005, ink, on=1 - pill))


def extras(ops: Lists, dice, fab, tabs, look: Look):
  """A floating action button (1) or a camera shutter (2), and a tab bar."""
  y = PH.ASPECT - 0.3
  ops.boxes.append(LY.box(y, 0.82, 0.07, 0.07, look.brand, radius=0.07, on=fab == 1))
  ops.boxes.append(LY.box(y, 0.82, 0.006, 0.03, WHITE, on=fab == 1))
  ops.boxes.append(LY.box(y, 0.82, 0.03, 0.006, WHITE, on=fab == 1))
  ops.boxes.append(LY.box(y + 0.05, 0.5, 0.09, 0.09, WHITE, radius=0.09, on=fab == 2))
  ops.boxes.append(
    LY.box(y + 0.05, 0.5, 0.07, 0.07, (200.0, 200.0, 200.0), radius=0.07, on=fab == 2)
  )
  bar_y = PH.ASPECT - 0.17
  ops.boxes.append(LY.box(bar_y, 0.5, 0.07, 0.5, look.th.surface, on=tabs))
  ops.boxes.append(
    LY.grid_box(
      bar_y - 0.025, 0.0, 0.05, 0.25, 1, 4, 0.022, 0.03, look.th.faint, radius=0.008, on=tabs
    )
  )
  picked = jnp.floor(dice.uniform(0.0, 4.0))
  ops.boxes.append(
    LY.box(bar_y, (picked + 0.5) / 4, 0.022, 0.03, look.brand, radius=0.008, on=tabs)
  )


def _layout(app) -> dict:
  """The layout row of the app's screen kind, by field name."""
  row = jnp.asarray(LAYOUT_TABLE)[jnp.asarray(PH.APP_KIND)[app]]
  ints = row.astype(jnp.int32)
  names = ("bar", "hero", "share", "body", "rows", "cols", "cell", "avatar", "fab", "tabs")
  return {name: ints[i] for i, name in enumerate(names)} | {"share": row[2], "dark": row[10]}


def chrome(dice, lay: dict, look: Look) -> Lists:
  """Bars and buttons painted over the content."""
  ops = new_lists()
  extras(ops, dice, lay["fab"], lay["tabs"], look)
  app_bar(ops, lay["bar"], look)
  status_bar(ops, lay["bar"], look, (lay["hero"] == H_MAP) | (lay["hero"] == H_PICTURE))
  nav_bar(ops, dice, look)
  return ops


def draw_screenshot(key, spec, size: int):
  """A screenshot of app `spec["app"]` with its kind of content, filling the frame or on a
  phone in a picture."""
  y, x = R.grid(size)
  dice = R.Dice(key, 2048)
  app = spec["app"]
  lay = _layout(app)
  dark = dice.chance(lay["dark"])
  look = Look(R.solid(jnp.asarray(PH.APP_RGB)[app]), PH.theme(dark), dark, app)
  s, rect, whole = PH.frame_screen(dice, y, x, size)
  seed = dice.seed()
  layers = LY.stack_layers([content(dice, lay, look), chrome(dice, lay, look)])
  paint = lambda i, rgb: LY.paint(rgb, s.w, s.u, s.px, *(a[i] for a in layers), seed)
  rgb = jax.lax.fori_loop(0, 2, paint, R.fill(look.th.paper, y.shape))
  out = PH.device(dice, y, x, size, rgb, s, *rect)
  return R.to_uint8(R.pick(whole, rgb, out))
