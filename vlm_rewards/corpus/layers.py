"""Display lists for flat interfaces: instanced rounded boxes, strokes and text runs, each
list painted by one loop.

A screen is built as rows of numbers (one row per operation) and painted by three loops
(boxes, then strokes, then text) whose bodies compile once, whatever the number of rows: a
screen of a hundred shapes compiles in seconds instead of minutes. A box or text row is a
grid of instances (rows x cols cells); per-instance sizes, sides and colours come from a
hash of the instance index and a per-image seed, so a list of rows or a grid of keys is one
operation.
"""

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import font
from vlm_rewards.corpus import phone as PH
from vlm_rewards.corpus import raster as R

# Box row fields.
(
  B_ON,
  B_Y0,
  B_X0,
  B_CH,
  B_CW,
  B_ROWS,
  B_COLS,
  B_OY,
  B_OX,
  B_HH,
  B_HW,
  B_RADIUS,
  B_R,
  B_G,
  B_B,
  B_PALETTE,
  B_JITTER_W,
  B_HEIGHTS,
  B_SIDES,
  B_JITTER_XY,
  B_OPACITY,
  B_RING,
  B_R2,
  B_G2,
  B_B2,
) = range(25)
BOX_FIELDS = 25
NO_PALETTE, MAP_COLOURS, PIECE_COLOURS = -1.0, 1000.0, 1001.0  # B_PALETTE; else a seed < 1000
_MAP = ((170.0, 220.0, 160.0), (160.0, 200.0, 240.0))
_PIECES = (
  (230.0, 60.0, 60.0),
  (60.0, 170.0, 240.0),
  (250.0, 200.0, 40.0),
  (90.0, 200.0, 90.0),
  (170.0, 90.0, 220.0),
)
FIXED, BARS, WAVE, RAMP = range(4)  # B_HEIGHTS: per-instance half-heights

# Stroke row fields.
S_ON, S_Y0, S_X0, S_Y1, S_X1, S_HALF, S_R, S_G, S_B = range(9)
STROKE_FIELDS = 9

# Text row fields: a grid of strings, made up per instance from the row's source.
(
  T_ON,
  T_Y0,
  T_X0,
  T_CH,
  T_CW,
  T_ROWS,
  T_COLS,
  T_OY,
  T_OX,
  T_HEIGHT,
  T_SOURCE,
  T_ARG,
  T_CENTRE,
  T_R,
  T_G,
  T_B,
  T_MIN,
  T_MAX,
  T_CAPS,
  T_SALT,
) = range(20)
TEXT_FIELDS = 20
# Sources: random words (T_MIN..T_MAX letters, a capital first with T_CAPS), digits in
# pattern T_ARG (the last T_MIN..T_MAX characters kept), the name of app T_ARG, key labels
# (T_ARG 0: calculator, 1: dial pad), days of a month starting at cell T_ARG and T_MAX days
# long, or the single glyph T_ARG.
WORDS, DIGITS, NAME, KEYS, DAYS, GLYPH = range(6)
MAX_CHARS = 24
PATTERNS = ("dd:dd", "dddddddd", "ddd-dddd", "dddd dddd dddd", "dd")
KEY_LABELS = ("C%(/789x456-123+0.-=", "123456789*0#")
_NUMBER = -1  # a digit in a pattern


def _pattern_table() -> np.ndarray:
  table = np.full((len(PATTERNS), MAX_CHARS), font.SPACE, np.int32)
  for i, p in enumerate(PATTERNS):
    table[i, : len(p)] = [_NUMBER if c == "d" else font.CODE[c] for c in p]
  return table


def _key_table() -> np.ndarray:
  table = np.full((len(KEY_LABELS), 128), font.SPACE, np.int32)
  for i, keys in enumerate(KEY_LABELS):
    table[i, : len(keys)] = [font.CODE[c] for c in keys]
  return table


PATTERN_TABLE, PATTERN_LEN = _pattern_table(), np.asarray([len(p) for p in PATTERNS], np.int32)
KEY_TABLE = _key_table()


def box(
  y0,
  x0,
  hh,
  hw,
  colour,
  *,
  rows=1,
  cols=1,
  ch=0.0,
  cw=0.0,
  oy=None,
  ox=None,
  radius=0.0,
  on=1.0,
  palette=NO_PALETTE,
  jitter_w=0.0,
  heights=FIXED,
  sides=0.0,
  jitter_xy=0.0,
  opacity=1.0,
  ring=0.0,
  colour2=None,
) -> jax.Array:
  """One box row. Without a grid, (y0, x0) is the centre; in a grid, cells of ch x cw start
  at (y0, x0) and each box centre sits at (oy, ox) from its cell's corner (default: the
  middle). `palette` gives each instance a colour: random (a seed in [0, 1000)), or map
  (green / blue) or game-piece colours; `sides` puts each instance at the left or right of
  its cell at random, in `colour` (left) or `colour2` (right)."""
  oy = ch / 2 if oy is None else oy
  ox = cw / 2 if ox is None else ox
  colour2 = colour if colour2 is None else colour2
  fields = [
    on,
    y0 - oy,
    x0 - ox,
    ch,
    cw,
    rows,
    cols,
    oy,
    ox,
    hh,
    hw,
    radius,
    *_rgb(colour),
    palette,
    jitter_w,
    heights,
    sides,
    jitter_xy,
    opacity,
    ring,
    *_rgb(colour2),
  ]
  return jnp.stack([jnp.asarray(f, jnp.float32) for f in fields])


def grid_box(y0, x0, ch, cw, rows, cols, hh, hw, colour, **kw) -> jax.Array:
  """A box in every cell of a grid whose first cell's corner is (y0, x0)."""
  kw.setdefault("oy", ch / 2)
  kw.setdefault("ox", cw / 2)
  return box(y0 + kw["oy"], x0 + kw["ox"], hh, hw, colour, rows=rows, cols=cols, ch=ch, cw=cw, **kw)


def stroke(y0, x0, y1, x1, half, colour, on=1.0) -> jax.Array:
  fields = [on, y0, x0, y1, x1, half, *_rgb(colour)]
  return jnp.stack([jnp.asarray(f, jnp.float32) for f in fields])


def text(
  y0,
  x0,
  height,
  source,
  colour,
  *,
  arg=0,
  rows=1,
  cols=1,
  ch=0.0,
  cw=0.0,
  oy=0.0,
  ox=0.0,
  centre=False,
  on=1.0,
  min_len=4,
  max_len=14,
  caps=True,
  salt=0,
) -> jax.Array:
  """Strings made up by `source` (see the field list), one per instance of a grid of cells
  ch x cw starting at (y0, x0); each string's top-left (or top-centre) sits at (oy, ox) in
  its cell; `salt` tells apart rows of random words."""
  fields = [
    on,
    y0,
    x0,
    ch,
    cw,
    rows,
    cols,
    oy,
    ox,
    height,
    source,
    arg,
    float(centre),
    *_rgb(colour),
    min_len,
    max_len,
    float(caps),
    salt,
  ]
  return jnp.stack([jnp.asarray(f, jnp.float32) for f in fields])


def _rgb(colour):
  colour = jnp.asarray(colour, jnp.float32)
  return [colour[0], colour[1], colour[2]]


def _cell(w, u, y0, x0, ch, cw, rows, cols):
  """Instance index of every pixel's cell (the nearest cell outside the grid) and the cell's
  corner."""
  ri = jnp.clip(jnp.floor((w - y0) / jnp.maximum(ch, 1e-6)), 0, rows - 1)
  ci = jnp.clip(jnp.floor((u - x0) / jnp.maximum(cw, 1e-6)), 0, cols - 1)
  return ri, ci, (ri * cols + ci).astype(jnp.int32), y0 + ri * ch, x0 + ci * cw


def _instance_colour(inst, palette, seed):
  """Colours of instances in the box's palette mode."""
  random = tuple(
    30.0 + 205.0 * R.hash_unit(inst + palette.astype(jnp.int32), seed + c) for c in range(3)
  )
  maps = R.pick(inst % 2 == 0, jnp.asarray(_MAP[0]), jnp.asarray(_MAP[1]))
  which = jnp.floor(R.hash_unit(inst, seed + 7) * len(_PIECES))
  pieces = jnp.asarray(_PIECES[0])
  for i, colour in enumerate(_PIECES[1:], 1):
    pieces = R.pick(which == i, jnp.asarray(colour), pieces)
  return R.pick(palette == MAP_COLOURS, maps, R.pick(palette == PIECE_COLOURS, pieces, random))


def _paint_box(rgb, w, u, px, op, seed):
  ri, ci, inst, top, left = _cell(
    w, u, op[B_Y0], op[B_X0], op[B_CH], op[B_CW], op[B_ROWS], op[B_COLS]
  )
  r = [R.hash_unit(inst, seed + 11 * k) for k in range(5)]
  hw = op[B_HW] * (1.0 - op[B_JITTER_W] * r[0])
  kind = op[B_HEIGHTS]
  ramp = (ri * op[B_COLS] + ci + 1.0) / (op[B_ROWS] * op[B_COLS])
  scale = jnp.where(kind == BARS, r[1], jnp.where(kind == WAVE, 0.1 + 0.9 * r[1], 1.0))
  hh = op[B_HH] * jnp.where(kind == RAMP, ramp, scale)
  sided = op[B_SIDES] > 0
  right = (r[2] < 0.5) & sided
  ox = jnp.where(sided, jnp.where(right, op[B_CW] - hw - op[B_OX], hw + op[B_OX]), op[B_OX])
  cx = left + ox + op[B_JITTER_XY] * (r[3] - 0.5) * op[B_CW]
  cy = top + op[B_OY] + op[B_JITTER_XY] * (r[4] - 0.5) * op[B_CH]
  cy = jnp.where(kind == BARS, cy + op[B_HH] - hh, cy)
  radius = jnp.minimum(op[B_RADIUS], jnp.minimum(hh, hw))
  d = R.box_distance(w, u, cy, cx, hh, hw, radius)
  d = jnp.where(op[B_RING] > 0, jnp.abs(d + op[B_RING] / 2) - op[B_RING] / 2, d)
  alpha = R.coverage(d, px) * (op[B_ON] * op[B_OPACITY])
  fixed = R.pick(right, op[B_R2 : B_B2 + 1], op[B_R : B_B + 1])
  palette = op[B_PALETTE]
  colour = R.pick(palette >= 0, _instance_colour(inst, palette, seed), fixed)
  alpha, colour = R.solid(alpha, colour)  # once, not once per channel
  return R.over(rgb, colour, alpha)


def _paint_stroke(rgb, w, u, px, op):
  a = R.solid(R.segment(w, u, op[S_Y0], op[S_X0], op[S_Y1], op[S_X1], op[S_HALF], px))
  return R.over(rgb, op[S_R : S_B + 1], a * op[S_ON])


def _text_length(op, inst, salt):
  """Characters in each instance's string (for centring and cutting)."""
  src, arg = op[T_SOURCE], op[T_ARG].astype(jnp.int32)
  span = op[T_MAX] - op[T_MIN] + 1.0
  random_len = (op[T_MIN] + jnp.floor(R.hash_unit(inst, salt) * span)).astype(jnp.int32)
  day = inst - arg + 1
  days = jnp.where((day >= 1) & (day <= op[T_MAX]), jnp.where(day >= 10, 2, 1), 0)
  name = jnp.asarray(PH.APP_NAME_LEN)[jnp.clip(arg, 0, len(PH.APP_NAME_LEN) - 1)]
  return jnp.select(
    [src == WORDS, src == DIGITS, src == NAME, src == DAYS],
    [
      random_len,
      jnp.minimum(random_len, jnp.asarray(PATTERN_LEN)[arg % len(PATTERNS)]),
      name,
      days,
    ],
    1,
  )


def _text_code(op, inst, ci, length, salt):
  """Glyph code of character `ci` of each instance's string."""
  src, arg = op[T_SOURCE], op[T_ARG].astype(jnp.int32)
  cell = inst * 97 + ci
  letter = jnp.floor(R.hash_unit(cell, salt + 1) * 26).astype(jnp.int32)
  space = R.hash_unit(cell, salt + 2) < 0.17
  capital = (ci == 0) & (op[T_CAPS] > 0)
  words = jnp.where(
    capital, font.CODE["A"] + letter, jnp.where(space, font.SPACE, font.CODE["a"] + letter)
  )
  digit = font.CODE["0"] + jnp.floor(R.hash_unit(cell, salt + 3) * 10).astype(jnp.int32)
  pattern = jnp.asarray(PATTERN_TABLE)[arg % len(PATTERNS), jnp.clip(ci, 0, MAX_CHARS - 1)]
  lead = jnp.asarray(PATTERN_LEN)[arg % len(PATTERNS)] - length
  digits = jnp.where(ci < lead, font.SPACE, jnp.where(pattern == _NUMBER, digit, pattern))
  name = jnp.asarray(PH.APP_NAME)[
    jnp.clip(arg, 0, PH.APP_NAME.shape[0] - 1), jnp.clip(ci, 0, PH.NAME_LEN - 1)
  ]
  key = jnp.asarray(KEY_TABLE)[arg % len(KEY_LABELS), inst % KEY_TABLE.shape[1]]
  day = jnp.clip(inst - arg + 1, 0, 99)
  day = font.CODE["0"] + jnp.where((length == 2) & (ci == 0), day // 10, day % 10)
  code = jnp.select(
    [src == WORDS, src == NAME, src == KEYS, src == DAYS, src == GLYPH],
    [words, name, key, day, arg],
    digits,
  )
  within = jnp.where(src == DIGITS, ci < jnp.asarray(PATTERN_LEN)[arg % len(PATTERNS)], ci < length)
  return jnp.where(within, code, font.SPACE)


def _paint_text(rgb, w, u, op, seed):
  _, _, inst, top, left = _cell(
    w, u, op[T_Y0], op[T_X0], op[T_CH], op[T_CW], op[T_ROWS], op[T_COLS]
  )
  salt = seed + op[T_SALT].astype(jnp.uint32) * jnp.uint32(7919)
  length = _text_length(op, inst, salt)
  width = op[T_HEIGHT] * font.CELL_COLS / font.CELL_ROWS
  shown = jnp.where(
    op[T_SOURCE] == DIGITS,
    jnp.asarray(PATTERN_LEN)[op[T_ARG].astype(jnp.int32) % len(PATTERNS)],
    length,
  )
  x = left + op[T_OX] - jnp.where(op[T_CENTRE] > 0, shown * width / 2, 0.0)
  col_f = (u - x) / width
  ci = jnp.floor(col_f).astype(jnp.int32)
  fy = (w - top - op[T_OY]) / op[T_HEIGHT]
  inside = (ci >= 0) & (ci < MAX_CHARS) & (fy >= 0.0) & (fy < 1.0)
  code = _text_code(op, inst, ci, length, salt)
  ink = R.solid(jnp.where(inside, R.glyph_alpha(code, fy, col_f - ci), 0.0))
  return R.over(rgb, op[T_R : T_B + 1], ink * op[T_ON])


def _on_first(ops, on_field):
  """The rows that are on first, and how many there are: the loop stops after them."""
  on = ops[:, on_field] > 0
  order = jnp.argsort(~on, stable=True)
  return R.solid(ops[order]), jnp.sum(on)


def paint(rgb, w, u, px, boxes, strokes, texts, seed):
  """`rgb` with the box rows, then the strokes, then the text rows painted in order (rows that
  are off are skipped); `seed` (uint32) makes the image's random sizes, colours and text."""
  boxes, nb = _on_first(boxes, B_ON)
  strokes, ns = _on_first(strokes, S_ON)
  texts, nt = _on_first(texts, T_ON)
  rgb = jax.lax.fori_loop(0, nb, lambda i, c: _paint_box(c, w, u, px, boxes[i], seed), rgb)
  rgb = jax.lax.fori_loop(0, ns, lambda i, c: _paint_stroke(c, w, u, px, strokes[i]), rgb)
  return jax.lax.fori_loop(0, nt, lambda i, c: _paint_text(c, w, u, texts[i], seed), rgb)


def stack_layers(layers) -> tuple[jax.Array, jax.Array, jax.Array]:
  """Box, stroke and text rows of several layers (each with `.boxes`, `.strokes`, `.texts`
  lists of rows) as arrays [layers, rows, fields], padded with rows that are off, so that
  one loop over the layers paints them all with one compiled body."""
  out = []
  for name, width in (("boxes", BOX_FIELDS), ("strokes", STROKE_FIELDS), ("texts", TEXT_FIELDS)):
    rows = [getattr(layer, name) for layer in layers]
    n = max(1, *(len(r) for r in rows))
    off = jnp.zeros(width, jnp.float32)
    out.append(jnp.stack([jnp.stack(r + [off] * (n - len(r))) for r in rows]))
  return tuple(out)
