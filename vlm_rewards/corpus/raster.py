"""Full-frame raster primitives in JAX for one image: signed distances, coverage, noise, text.

Every function works on whole [S, S] coordinate planes with masks and selects (no loops over
data-dependent counts), so the drawers that use them are jit- and vmap-friendly with static
shapes. Coordinates are in frame units: x right, y down, pixel centres in (0, 1).
"""

import contextlib
import threading

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import concepts as C
from vlm_rewards.corpus import font

_ATLAS = font.atlas()


def grid(size: int) -> tuple[jax.Array, jax.Array]:
  """(y, x) float32 [size, size] pixel-centre coordinates in (0, 1)."""
  t = (jnp.arange(size, dtype=jnp.float32) + 0.5) / size
  return jnp.broadcast_to(t[:, None], (size, size)), jnp.broadcast_to(t[None, :], (size, size))


def rotate(u, v, angle):
  """Coordinates in a frame turned by `angle` (clockwise on screen, since y points down)."""
  c, s = solid(jnp.cos(angle), jnp.sin(angle))
  return c * u + s * v, -s * u + c * v


def prepare_parts(parts):
  """Recipe parts [..., 11] (`concepts` module docstring) -> the per-part numbers the
  distance needs [..., 13]: shape, cx, cy, cos, sin, hw, hh, taper slope, 1/hh, round, shear,
  cut height, role; computed once, not per pixel."""
  shape, cx, cy, hw, hh, ang, rnd, tap, shr, cut, role = (parts[..., i] for i in range(11))
  fields = [
    shape,
    cx,
    cy,
    jnp.cos(ang),
    jnp.sin(ang),
    hw,
    hh,
    hw * tap / hh,
    1.0 / hh,
    rnd,
    shr,
    cut * hh,
    role,
  ]
  return solid(jnp.stack(fields, axis=-1))


def part_distance(u, v, q):
  """Approximate signed distance (in part units, negative inside) to a prepared part `q`
  (`prepare_parts`) at part-frame coordinates (u, v).

  Ellipses and boxes share one square root: the operands are selected before it.
  """
  shape, hw, hh, slope, inv_hh, rnd, shr, cut_h = (q[i] for i in (0, 5, 6, 7, 8, 9, 10, 11))
  u = u + shr * v
  hw_v = jnp.maximum(hw + slope * v, 1e-3)
  small = jnp.minimum(hw_v, hh)
  is_box = shape == C.BOX
  r = rnd * small
  qx, qy = jnp.abs(u) - hw_v + r, jnp.abs(v) - hh + r
  a = jnp.where(is_box, jnp.maximum(qx, 0.0), u / hw_v)
  b = jnp.where(is_box, jnp.maximum(qy, 0.0), v * inv_hh)
  length = jnp.sqrt(a * a + b * b)
  d = jnp.where(is_box, length + jnp.minimum(jnp.maximum(qx, qy), 0.0) - r, (length - 1.0) * small)
  band = 0.5 * rnd * small
  d = jnp.where(shape == C.RING, jnp.abs(d + band) - band, d)
  d = jnp.maximum(d, v - cut_h)
  return jnp.where(shape == C.NONE, 1e3, d)


def coverage(d, px):
  """Antialiased inside-ness of a signed distance `d` for pixels of size `px`."""
  return jnp.clip(0.5 - d / px, 0.0, 1.0)


_LIVE = threading.local()


@contextlib.contextmanager
def materialising(live):
  """While tracing a drawer, `solid` stores arrays through a branch on `live`, a traced
  boolean that is True at run time but not known when compiling: XLA neither fuses through a
  conditional nor removes it. `live` must not be batched (pass it to the jitted function,
  outside any vmap)."""
  previous = getattr(_LIVE, "flag", None)
  _LIVE.flag = live
  try:
    yield
  finally:
    _LIVE.flag = previous


def solid(*arrays):
  """The arrays, each computed once into memory.

  XLA's CPU fusion recomputes an expression inside every fused output that uses it: a plane
  painted onto three colour planes would be computed three times, and a few random numbers
  (a hash each) used by every pixel once per pixel. It drops optimization barriers before
  fusing, but does not fuse through a conditional (see `materialising`; outside it, this is
  the identity).
  """
  live = getattr(_LIVE, "flag", None)
  out = arrays
  if live is not None:
    out = jax.lax.cond(live, lambda a: a, lambda a: jax.tree.map(jnp.zeros_like, a), arrays)
  return out[0] if len(arrays) == 1 else out


# An image is a tuple of three [S, S] colour planes, painted channel by channel (expensive
# planes that all channels use go through `solid` first). A colour is a [3] array or such a
# tuple.


def channel(colour, c: int):
  """Channel `c` of a colour: a scalar of a [3] array, or a plane of a tuple of planes."""
  return colour[c] if isinstance(colour, tuple) else colour[..., c]


def fill(colour, shape):
  """An image of one colour."""
  return tuple(jnp.broadcast_to(channel(colour, c), shape) for c in range(3))


def over(rgb, colour, alpha):
  """`colour` painted over the image `rgb` with coverage `alpha` [S, S]."""
  return tuple(p + (channel(colour, c) - p) * alpha for c, p in enumerate(rgb))


def mix(a, b, t):
  """Colour `a` where `t` is 0, `b` where it is 1 (t a plane or a number)."""
  return tuple(channel(a, c) + (channel(b, c) - channel(a, c)) * t for c in range(3))


def pick(mask, a, b):
  """Colour `a` where `mask`, else `b`."""
  return tuple(jnp.where(mask, channel(a, c), channel(b, c)) for c in range(3))


def scale(colour, factor):
  """Each channel times `factor`: a number or a plane, or a [3] array (one per channel)."""
  per_channel = not isinstance(factor, tuple) and jnp.ndim(factor) == 1
  return tuple(channel(colour, c) * (factor[c] if per_channel else factor) for c in range(3))


def ellipse(y, x, cy, cx, ry, rx, px):
  """Coverage of an axis-aligned ellipse."""
  rx, ry = jnp.maximum(rx, 1e-4), jnp.maximum(ry, 1e-4)
  d = (jnp.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2) - 1.0) * jnp.minimum(rx, ry)
  return coverage(d, px)


def box_distance(y, x, cy, cx, hh, hw, radius):
  """Signed distance to an axis-aligned rounded box (radius in frame units)."""
  qx, qy = jnp.abs(x - cx) - hw + radius, jnp.abs(y - cy) - hh + radius
  outside = jnp.hypot(jnp.maximum(qx, 0.0), jnp.maximum(qy, 0.0))
  return outside + jnp.minimum(jnp.maximum(qx, qy), 0.0) - radius


def box(y, x, cy, cx, hh, hw, radius, px):
  """Coverage of an axis-aligned rounded box."""
  return coverage(box_distance(y, x, cy, cx, hh, hw, radius), px)


def segment(y, x, y0, x0, y1, x1, half_width, px):
  """Coverage of a stroke with round ends from (x0, y0) to (x1, y1)."""
  dx, dy = x1 - x0, y1 - y0
  t = jnp.clip(((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy + 1e-9), 0.0, 1.0)
  d = jnp.hypot(x - x0 - t * dx, y - y0 - t * dy) - half_width
  return coverage(d, px)


class Dice:
  """Uniform random numbers for one image, drawn at once and handed out in order.

  One draw per image keeps the random-number hashing out of the per-pixel loops: XLA fuses
  cheap-looking producers into their consumers, and a `jax.random` call on a handful of
  numbers used by every pixel would be recomputed per pixel. Values come from a fixed-size
  pool (a Python counter walks it at trace time); `ValueError` when a drawer needs more.
  """

  def __init__(self, key, size: int = 512):
    self.pool = solid(jax.random.uniform(key, (size,)))
    self.used = 0

  def uniform(self, lo=0.0, hi=1.0, shape=()):
    n = int(np.prod(shape))
    if self.used + n > self.pool.shape[0]:
      raise ValueError(f"Dice pool of {self.pool.shape[0]} exhausted")
    out = self.pool[self.used : self.used + n].reshape(shape)
    self.used += n
    return lo + (hi - lo) * out

  def normal(self, shape=()):
    """Standard normal numbers (Box-Muller)."""
    u1, u2 = self.uniform(1e-6, 1.0, shape), self.uniform(0.0, 1.0, shape)
    return solid(jnp.sqrt(-2.0 * jnp.log(u1)) * jnp.cos(2.0 * np.pi * u2))

  def chance(self, p, shape=()):
    return self.uniform(0.0, 1.0, shape) < p

  def seed(self):
    """A uint32 for hash-based pixel noise."""
    return (self.uniform() * 4294967295.0).astype(jnp.uint32)


def _interp_matrix(size: int, cells: int) -> np.ndarray:
  """float32 [size, cells + 1]: linear interpolation weights from a coarse lattice."""
  t = (np.arange(size) + 0.5) / size * cells
  i = np.clip(np.floor(t).astype(int), 0, cells - 1)
  f = t - i
  m = np.zeros((size, cells + 1), np.float32)
  m[np.arange(size), i] = 1 - f
  m[np.arange(size), i + 1] = f
  return m


def smooth_noise(dice: Dice, size: int, cells: int) -> jax.Array:
  """float32 [size, size] value noise in about [-1, 1] with `cells` features per side."""
  lattice = dice.uniform(-1.0, 1.0, (cells + 1, cells + 1))
  m = jnp.asarray(_interp_matrix(size, cells))
  return m @ lattice @ m.T


def hash_unit(index, salt) -> jax.Array:
  """float32 in [0, 1): an integer hash of `index` (ints) and `salt` (uint32), a cheap
  pseudo-random number per element."""
  h = jnp.asarray(index).astype(jnp.uint32) * jnp.uint32(0x9E3779B1) ^ salt
  h = (h ^ (h >> 16)) * jnp.uint32(0x85EBCA6B)
  h = (h ^ (h >> 13)) * jnp.uint32(0xC2B2AE35)
  h = h ^ (h >> 16)
  return (h >> 8).astype(jnp.float32) * (1.0 / 2**24)


def pixel_noise(dice: Dice, shape) -> jax.Array:
  """float32 noise in [-1, 1) of `shape`, one value per element: a hash of the element's
  index and a random seed, far cheaper on a CPU than drawing from `jax.random`."""
  index = jnp.arange(int(np.prod(shape)), dtype=jnp.uint32).reshape(shape)
  return 2.0 * hash_unit(index, dice.seed()) - 1.0


def triangle_wave(t):
  """A periodic ramp in [0, 1] with period 1: a cheap stand-in for a sine."""
  return jnp.abs(2.0 * (t - jnp.floor(t)) - 1.0)


def glyph_alpha(code, fy, fx):
  """Ink of glyph `code` at cell fractions (fy, fx) in [0, 1) (the cell includes spacing)."""
  atlas = jnp.asarray(_ATLAS)
  h, w = atlas.shape[1:]
  iy = jnp.clip((fy * h).astype(jnp.int32), 0, h - 1)
  ix = jnp.clip((fx * w).astype(jnp.int32), 0, w - 1)
  return atlas[code, iy, ix]


def glyph_run(u, v, chars, row, height):
  """Ink of the string `chars[row]` (int [N, L] glyph codes; `row` per pixel) at offsets
  (u, v) from its top-left corner, for a character cell `height` tall."""
  length = chars.shape[-1]
  col_f = u / (height * font.CELL_COLS / font.CELL_ROWS)
  ci = jnp.floor(col_f).astype(jnp.int32)
  fy = v / height
  inside = (ci >= 0) & (ci < length) & (fy >= 0.0) & (fy < 1.0)
  code = chars[jnp.clip(row, 0, chars.shape[0] - 1), jnp.clip(ci, 0, length - 1)]
  return jnp.where(inside, glyph_alpha(code, fy, col_f - ci), 0.0)


def text(y, x, chars, y0, x0, height, pitch=None):
  """Ink of text lines `chars` int [R, L] (glyph codes) with top-left corner (x0, y0).

  `height` is the cell height (a glyph and its blank row), `pitch` the line spacing; `x0`
  may be a scalar or one left edge per line [R] (for centred lines).
  """
  chars = jnp.atleast_2d(chars)
  rows = chars.shape[0]
  pitch = height if pitch is None else pitch
  ri = jnp.floor((y - y0) / pitch).astype(jnp.int32)
  left = jnp.broadcast_to(jnp.asarray(x0, jnp.float32), (rows,))[jnp.clip(ri, 0, rows - 1)]
  ink = glyph_run(x - left, y - y0 - ri * pitch, chars, ri, height)
  return jnp.where((ri >= 0) & (ri < rows), ink, 0.0)


def text_width(num_chars, height):
  """Width in frame units of `num_chars` characters of cell height `height`."""
  return num_chars * height * font.CELL_COLS / font.CELL_ROWS


def to_uint8(rgb) -> jax.Array:
  """uint8 [S, S, 3] of an image."""
  planes = solid(*rgb)  # each plane's paint chain in its own loop, not once per channel
  return jnp.stack([jnp.clip(jnp.round(p), 0, 255).astype(jnp.uint8) for p in planes], -1)
