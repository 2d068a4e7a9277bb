"""Content blocks of app screens: a picture-like "hero" on top and a body below it.

Each block appends display-list rows (`layers`) to a `Lists`, switched on or off per image
by `on`, so that every screen has the same rows whatever its kind. Coordinates are phone
units (`phone` module docstring): u across in [0, 1], w down in [0, ASPECT].
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import font
from vlm_rewards.corpus import layers as LY
from vlm_rewards.corpus import phone as PH
from vlm_rewards.corpus import raster as R

H_NONE, H_PICTURE, H_MAP, H_DIAL, H_PLAYER, H_DIGITS, H_CARD, H_BARS, H_WAVE = range(9)
B_NONE, B_ROWS, B_GRID, B_LINES, B_BUBBLES = range(5)
C_COLOURS, C_KEYS, C_DIALPAD, C_SHEET, C_DAYS, C_TILES, C_CARDS, C_CANDY = range(8)
NO_AVATAR, CIRCLE, SQUARE, CHECK = range(4)
WHITE = PH.WHITE


class Lists(NamedTuple):
  """Display-list rows of one layer."""

  boxes: list
  strokes: list
  texts: list


def new_lists() -> Lists:
  return Lists([], [], [])


class Look(NamedTuple):
  """What the blocks of one screen share."""

  brand: jax.Array
  th: PH.Theme
  dark: jax.Array
  app: jax.Array


def _seed(dice):
  """A random palette seed for instance colours."""
  return jnp.floor(dice.uniform(0.0, 999.0))


def hero_picture(ops: Lists, dice, top, bottom, on, kind_map):
  """A photo-like block of colour blobs, or a map of parks, water, roads and a pin."""
  h = bottom - top
  base = jnp.where(kind_map, jnp.asarray([238.0, 233.0, 222.0]), dice.uniform(30, 230, (3,)))
  ops.boxes.append(LY.box((top + bottom) / 2, 0.5, h / 2, 0.5, base, on=on))
  blobs = dict(radius=0.2, jitter_xy=0.9, jitter_w=0.6, on=on)
  palette = jnp.where(kind_map, LY.MAP_COLOURS, _seed(dice))
  ops.boxes.append(
    LY.grid_box(top, 0.0, h / 2, 1 / 3, 2, 3, 0.28 * h, 0.2, base, palette=palette, **blobs)
  )
  ends = dice.uniform(0.0, 1.0, (3, 4)) * jnp.asarray([h, 1.0, h, 1.0])
  ends = ends + jnp.asarray([top, 0.0, top, 0.0])
  for i in range(3):
    colour = (250.0, 214.0, 90.0) if i == 2 else (252.0, 252.0, 250.0)
    ops.strokes.append(LY.stroke(*ends[i], 0.012 + 0.006 * i, colour, on=on * kind_map))
  pin = (top + h * dice.uniform(0.3, 0.7), dice.uniform(0.25, 0.75))
  red = (220.0, 50.0, 40.0)
  ops.boxes.append(LY.box(*pin, 0.035, 0.035, red, radius=0.035, on=on * kind_map))


def hero_dial(ops: Lists, dice, top, bottom, look: Look, on):
  """An analogue clock: face, rim, four ticks, two hands and a hub."""
  cy, r = (top + bottom) / 2, 0.36 * jnp.minimum(bottom - top, 0.9)
  ops.boxes.append(LY.box(cy, 0.5, r, r, look.th.surface, radius=r, on=on))
  ops.boxes.append(LY.box(cy, 0.5, r, r, look.th.faint, radius=r, ring=0.012, on=on))
  for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
    size = (0.012 + 0.03 * abs(dy), 0.012 + 0.03 * abs(dx))
    ops.boxes.append(LY.box(cy + 0.82 * r * dy, 0.5 + 0.82 * r * dx, *size, look.th.ink, on=on))
  angles = dice.uniform(0.0, 2.0 * np.pi, (2,))
  cos, sin = R.solid(jnp.cos(angles), jnp.sin(angles))
  for i, length in enumerate((0.5, 0.75)):
    tip = (cy - length * r * cos[i], 0.5 + length * r * sin[i])
    ops.strokes.append(LY.stroke(cy, 0.5, *tip, 0.012 - 0.004 * i, look.th.ink, on=on))
  ops.boxes.append(LY.box(cy, 0.5, 0.02, 0.02, look.brand, radius=0.02, on=on))


def hero_player(ops: Lists, dice, top, bottom, look: Look, on):
  """A video frame with a play sign and a progress bar in the brand colour."""
  h = bottom - top
  ops.boxes.append(LY.box(top + h / 2, 0.5, h / 2, 0.5, dice.uniform(10.0, 80.0, (3,)), on=on))
  play = dict(arg=font.CODE[">"], on=on)
  ops.texts.append(LY.text(top + h / 2 - 0.06, 0.47, 0.12, LY.GLYPH, WHITE, **play))
  done = dice.uniform(0.1, 0.9)
  ops.boxes.append(LY.box(bottom - 0.01, 0.5, 0.006, 0.5, look.th.faint, on=on))
  ops.boxes.append(LY.box(bottom - 0.01, done / 2, 0.006, done / 2, look.brand, on=on))


def hero_digits(ops: Lists, top, bottom, look: Look, on):
  """A big right-aligned number (a result, a phone number, a temperature) and a small one."""
  height = 0.16 * jnp.minimum(bottom - top, 0.6) / 0.6
  left = 0.94 - R.text_width(8, height)
  big = dict(arg=1, min_len=2, max_len=8, on=on)
  ops.texts.append(LY.text(bottom - 1.3 * height, left, height, LY.DIGITS, look.th.ink, **big))
  small = dict(arg=2, min_len=8, max_len=8, on=on)
  y = bottom - 2.1 * height
  ops.texts.append(LY.text(y, 0.55, 0.4 * height, LY.DIGITS, look.th.faint, **small))


def hero_card(ops: Lists, top, bottom, look: Look, on):
  """A card in the brand colour with a chip and a number."""
  cy, hh = (top + bottom) / 2, 0.4 * (bottom - top)
  gold = (225.0, 190.0, 90.0)
  ops.boxes.append(LY.box(cy, 0.5, hh, 0.42, look.brand, radius=0.04, on=on))
  ops.boxes.append(LY.box(cy - 0.3 * hh, 0.2, 0.03, 0.045, gold, radius=0.01, on=on))
  number = dict(arg=3, min_len=14, max_len=14, on=on)
  ops.texts.append(LY.text(cy + 0.2 * hh, 0.14, 0.05, LY.DIGITS, WHITE, **number))


def hero_bars(ops: Lists, top, bottom, look: Look, wave, on):
  """Bars of random heights: an activity chart, or a sound wave."""
  h = bottom - top
  heights = jnp.where(wave, LY.WAVE, LY.BARS)
  grid = (top + 0.1 * h, 0.05, 0.8 * h, 0.9 / 24, 1, 24)
  ops.boxes.append(LY.grid_box(*grid, 0.4 * h, 0.011, look.brand, heights=heights, on=on))


def body_rows(ops: Lists, dice, top, bottom, rows, avatar, look: Look, on):
  """List rows: an avatar, thumbnail or checkbox, a title and a grey line of random text, a
  time at the right and a divider."""
  pitch = (bottom - top) / jnp.maximum(rows, 1)
  size = jnp.minimum(0.32 * pitch, 0.06)
  square, check = avatar == SQUARE, avatar == CHECK
  mark = dict(
    oy=pitch / 2,
    ox=0.1,
    radius=jnp.where(square, 0.2 * size, size),
    palette=jnp.where(check, LY.NO_PALETTE, _seed(dice)),
    ring=jnp.where(check, 0.012, 0.0),
    on=on * (avatar != NO_AVATAR),
  )
  width = jnp.where(square, 1.4 * size, size)
  ops.boxes.append(LY.grid_box(top, 0.0, pitch, 1.0, rows, 1, size, width, look.th.faint, **mark))
  left = jnp.where(avatar == NO_AVATAR, 0.06, jnp.where(square, 0.24, 0.2))
  h = jnp.minimum(0.3 * pitch, 0.055)
  grid = dict(rows=rows, ch=pitch, on=on)
  title_y, line_y = pitch / 2 - 1.05 * h, pitch / 2 + 0.1 * h
  ops.texts.append(LY.text(top, left, h, LY.WORDS, look.th.ink, oy=title_y, salt=1, **grid))
  line = dict(oy=line_y, min_len=8, max_len=24, caps=False, salt=2)
  ops.texts.append(LY.text(top, left, 0.8 * h, LY.WORDS, look.th.faint, **line, **grid))
  time = dict(oy=title_y, min_len=5, max_len=5)
  ops.texts.append(LY.text(top, 0.84, 0.7 * h, LY.DIGITS, look.th.faint, **time, **grid))
  rule = dict(oy=pitch, on=on * dice.chance(0.6))
  span = 1.0 - left
  ops.boxes.append(
    LY.grid_box(top, left, pitch, span, rows, 1, 0.002, span / 2, look.th.line, **rule)
  )


def body_grid(ops: Lists, dice, top, bottom, rows, cols, style, look: Look, on):
  """A grid of cells: keys, a dial pad, spreadsheet cells, calendar days, photos, tiles, note
  cards or game pieces, by `style`."""
  ch, cw = (bottom - top) / jnp.maximum(rows, 1), 0.92 / jnp.maximum(cols, 1)
  small = jnp.minimum(ch, cw)
  round_ = (style == C_DIALPAD) | (style == C_CANDY)
  hh, hw = jnp.where(round_, 0.42 * small, 0.44 * ch), jnp.where(round_, 0.42 * small, 0.44 * cw)
  fill = jnp.where((style == C_KEYS) | (style == C_DIALPAD), look.th.surface, look.th.line)
  coloured = (style == C_COLOURS) | (style == C_TILES) | (style == C_CARDS) | (style == C_CANDY)
  palette = jnp.where(style == C_CANDY, LY.PIECE_COLOURS, _seed(dice))
  cell = dict(
    radius=jnp.where(round_, hh, 0.18 * small),
    palette=jnp.where(coloured, palette, LY.NO_PALETTE),
    opacity=jnp.where(style == C_CARDS, 0.35, 1.0),
    on=on * (style != C_SHEET) * (style != C_DAYS),
  )
  ops.boxes.append(LY.grid_box(top, 0.04, ch, cw, rows, cols, hh, hw, fill, **cell))
  keys = dict(radius=0.18 * small, on=on * (style == C_KEYS))  # the operator column
  last = 0.04 + (cols - 1) * cw
  ops.boxes.append(LY.grid_box(top, last, ch, cw, rows, 1, hh, hw, look.brand, **keys))
  _grid_marks(ops, dice, top, bottom, rows, cols, style, look, on)
  _grid_labels(ops, dice, top, ch, cw, rows, cols, style, look, on)


def _grid_marks(ops: Lists, dice, top, bottom, rows, cols, style, look: Look, on):
  """Spreadsheet rules and the circled day of a calendar."""
  ch, cw = (bottom - top) / jnp.maximum(rows, 1), 0.92 / jnp.maximum(cols, 1)
  sheet, span = on * (style == C_SHEET), (bottom - top) / 2
  line = look.th.line
  ops.boxes.append(LY.grid_box(top, 0.04, 2 * span, cw, 1, cols, span, 0.002, line, ox=0, on=sheet))
  ops.boxes.append(LY.grid_box(top, 0.04, ch, 0.92, rows, 1, 0.002, 0.46, line, oy=0, on=sheet))
  today = jnp.floor(dice.uniform(0.0, 1.0, (2,)) * jnp.stack([rows, cols]))
  cy, cx, r = top + (today[0] + 0.5) * ch, 0.04 + (today[1] + 0.5) * cw, 0.4 * jnp.minimum(ch, cw)
  ops.boxes.append(LY.box(cy, cx, r, r, look.brand, radius=r, on=on * (style == C_DAYS)))


def _grid_labels(ops: Lists, dice, top, ch, cw, rows, cols, style, look: Look, on):
  """Key labels, days of a month or numbers, centred in the cells."""
  height = jnp.where(style == C_SHEET, 0.5, 0.45) * jnp.minimum(ch, cw)
  cells = dict(rows=rows, cols=cols, ch=ch, cw=cw, oy=ch / 2 - height / 2, ox=cw / 2, centre=True)
  ink = look.th.ink
  keys = dict(arg=style == C_DIALPAD, on=on * ((style == C_KEYS) | (style == C_DIALPAD)))
  ops.texts.append(LY.text(top, 0.04, height, LY.KEYS, ink, **keys, **cells))
  first, month = jnp.floor(dice.uniform(0.0, 7.0)), jnp.floor(dice.uniform(28.0, 32.0))
  days = dict(arg=first, max_len=month, on=on * (style == C_DAYS))
  ops.texts.append(LY.text(top, 0.04, height, LY.DAYS, ink, **days, **cells))
  numbers = dict(arg=4, min_len=1, max_len=2, on=on * (style == C_SHEET))
  ops.texts.append(LY.text(top, 0.04, height, LY.DIGITS, ink, **numbers, **cells))


def body_lines(ops: Lists, top, bottom, look: Look, on):
  """A heading and paragraphs of random text; green on black for a terminal."""
  h = jnp.minimum((bottom - top) / 18 * 0.75, 0.055)
  ink = jnp.where(look.dark, jnp.asarray([140.0, 230.0, 140.0]), look.th.ink)
  head = dict(min_len=6, max_len=16, salt=3, on=on)
  ops.texts.append(
    LY.text(top + 0.04, 0.06, 1.3 * h, LY.WORDS, jnp.where(look.dark, ink, look.brand), **head)
  )
  para = dict(rows=17, ch=1.35 * h, min_len=0, max_len=LY.MAX_CHARS, salt=4, on=on)
  ops.texts.append(LY.text(top + 0.06 + 1.3 * h, 0.06, h, LY.WORDS, ink, **para))


def body_bubbles(ops: Lists, top, bottom, look: Look, on):
  """A conversation: bubbles left (received) and right (sent, brand colour) with lines of
  text in them, and an input bar."""
  pitch = (bottom - 0.14 - top) / 7
  grid = dict(oy=pitch / 2, ox=0.0, sides=1.0, on=on)
  bubble = dict(colour2=look.brand, radius=0.15 * pitch, jitter_w=0.5)
  th = look.th
  ops.boxes.append(
    LY.grid_box(top, 0.05, pitch, 0.9, 7, 1, 0.35 * pitch, 0.3, th.surface, **bubble, **grid)
  )
  ink = jnp.where(look.dark, th.faint, th.ink * 0.6 + th.paper * 0.4)
  line = dict(colour2=WHITE * 0.9, radius=0.03)
  ops.boxes.append(
    LY.grid_box(top, 0.08, pitch, 0.84, 7, 1, 0.06 * pitch, 0.1, ink, **line, **grid)
  )
  ops.boxes.append(LY.box(bottom - 0.07, 0.44, 0.045, 0.38, th.surface, radius=0.045, on=on))
  ops.boxes.append(LY.box(bottom - 0.07, 0.9, 0.045, 0.045, look.brand, radius=0.045, on=on))


def content(dice, lay: dict, look: Look) -> Lists:
  """All hero and body blocks of a screen, masked by its layout (`screens.LAYOUTS`)."""
  ops = new_lists()
  top = jnp.where(lay["bar"] == 2, 0.1, 0.27)  # below the app bar, when there is one
  bottom = PH.ASPECT - 0.1 - 0.14 * lay["tabs"]
  split = top + lay["share"] * (bottom - top)
  end = jnp.maximum(split, top + 0.2)  # heroes are off when share is 0; keep them finite
  hero, body = lay["hero"], lay["body"]
  hero_picture(ops, dice, top, end, (hero == H_PICTURE) | (hero == H_MAP), hero == H_MAP)
  hero_dial(ops, dice, top, end, look, hero == H_DIAL)
  hero_player(ops, dice, top, end, look, hero == H_PLAYER)
  hero_digits(ops, top, end, look, hero == H_DIGITS)
  hero_card(ops, top, end, look, hero == H_CARD)
  hero_bars(ops, top, end, look, hero == H_WAVE, (hero == H_BARS) | (hero == H_WAVE))
  rows, cols = lay["rows"], lay["cols"]
  body_rows(ops, dice, split, bottom, rows, lay["avatar"], look, body == B_ROWS)
  body_grid(ops, dice, split, bottom, rows, cols, lay["cell"], look, body == B_GRID)
  body_lines(ops, split, bottom, look, body == B_LINES)
  body_bubbles(ops, split, bottom, look, body == B_BUBBLES)
  return ops
