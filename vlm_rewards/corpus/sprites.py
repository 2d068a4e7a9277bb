"""Object sprites: a category's recipe (`concepts.CATEGORIES`) painted at a place, in a look.

A sprite is placed by (cx, cy, scale, flip, turn, on): its [-1, 1]^2 frame maps to
(cx, cy) +- scale, mirrored when flip is -1, turned by `turn`, and invisible when `on` is 0.
The look blends a photo (rim shading, a light gradient, gloss, grain, fuzz) and a cartoon
(flat fills with dark outlines).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import concepts as C
from vlm_rewards.corpus import raster as R


def _parts_table() -> np.ndarray:
  """float32 [num_categories, MAX_PARTS, 11]; missing parts have shape NONE."""
  table = np.zeros((C.NUM_CATEGORIES, C.MAX_PARTS, 11), np.float32)
  table[..., 3:5] = 1.0  # unit half-sizes keep the unused parts' arithmetic finite
  table[..., 9] = 1.0
  for i, cat in enumerate(C.CATEGORIES):
    table[i, : len(cat.parts)] = np.asarray(cat.parts, np.float32)
  return table


PARTS = _parts_table()
COLOUR_RGB = np.asarray([c.rgb for c in C.COLOURS], np.float32)
MATERIAL_LOOK = np.asarray([(m.gloss, m.grain, m.fuzz) for m in C.MATERIALS], np.float32)
_FIXED_RGB = np.asarray([C.ROLE_RGB.get(i, (0, 0, 0)) for i in range(len(C.ROLES))], np.float32)


class Place(NamedTuple):
  cx: jax.Array
  cy: jax.Array
  scale: jax.Array
  flip: jax.Array  # +1 or -1
  turn: jax.Array  # radians
  on: jax.Array  # 0 or 1


class Look(NamedTuple):
  photo: jax.Array  # 1: shaded and lit; 0: flat
  outline: jax.Array  # 1: dark outlines (cartoon)
  light: jax.Array  # [2] direction the light comes from, sprite frame
  material: jax.Array  # [3] gloss, grain, fuzz


def role_colours(rgb) -> jax.Array:
  """float32 [num_roles, 3]: the object's colour, a dark and a pale shade, the fixed roles."""
  table = jnp.asarray(_FIXED_RGB)
  table = table.at[C.M].set(rgb)
  table = table.at[C.D].set(rgb * 0.62)
  return table.at[C.P].set(rgb + (255.0 - rgb) * 0.45)


def jitter_colour(dice: R.Dice, rgb, amount=0.1) -> jax.Array:
  """`rgb` [..., 3] with a random brightness and a smaller per-channel change: one colour name
  covers a range of shades, as in photos."""
  gain = 1.0 + amount * dice.normal(rgb.shape[:-1] + (1,))
  tint = 1.0 + 0.4 * amount * dice.normal(rgb.shape)
  return R.solid(jnp.clip(rgb * gain * tint, 0.0, 255.0))


def sprite_frame(y, x, place: Place):
  """Sprite-frame coordinates (u, v) of every pixel."""
  u, v = R.rotate(x - place.cx, y - place.cy, place.turn)
  return u / place.scale * place.flip, v / place.scale


def paint(rgb, y, x, px, cat, colour, place: Place, look: Look, grain_noise):
  """The image `rgb` with a sprite painted over it; also returns the sprite's coverage.

  `look.photo` and `look.outline` are Python numbers: each kind compiles only the effects it
  uses.
  """
  parts = R.prepare_parts(jnp.asarray(PARTS)[cat])
  cols = R.solid(role_colours(colour)[parts[:, 12].astype(jnp.int32)])
  depth_k = R.solid(-1.0 / (0.7 * jnp.minimum(parts[:, 5], parts[:, 6]) * place.scale))
  u0, v0 = sprite_frame(y, x, place)
  edge = jnp.maximum(1.3 * px, 0.05 * place.scale)

  def part(k, carry):
    rgb, covered = carry
    q = parts[k]
    pu, pv = q[3] * (u0 - q[1]) + q[4] * (v0 - q[2]), q[3] * (v0 - q[2]) - q[4] * (u0 - q[1])
    # Only the distance is stored; coverage and shading are cheap to redo per channel.
    d = R.solid(R.part_distance(pu, pv, q) * place.scale)
    a = R.coverage(d, px) * place.on
    shade = 1.0
    if look.photo:
      depth = jnp.clip(d * depth_k[k], 0.0, 1.0)
      shade = shade - 0.38 * look.photo * (1.0 - depth) ** 2
    if look.outline:
      shade = shade - 0.85 * jnp.clip((d + edge) / px + 0.5, 0.0, 1.0)
    rgb = R.over(rgb, R.scale(cols[k], shade), a)
    return rgb, jnp.maximum(covered, a)

  rgb, covered = jax.lax.fori_loop(0, C.MAX_PARTS, part, (rgb, jnp.zeros_like(y)))
  if look.photo:
    rgb = _finish(rgb, u0, v0, covered, look, grain_noise)
  return rgb, covered


def _finish(rgb, u, v, covered, look: Look, grain_noise):
  """Light gradient, gloss highlight, wood grain and fuzz over a painted sprite."""
  gloss, grain, fuzz = look.material[0], look.material[1], look.material[2]
  lx, ly = look.light[0], look.light[1]
  lit = 1.0 + 0.18 * (lx * u + ly * v)
  stripes = R.triangle_wave(v * 1.5 + u * 0.3 + 0.8 * grain_noise) - 0.5
  texture = 1.0 + grain * 0.18 * stripes + fuzz * 0.22 * grain_noise
  spot = jnp.clip(1.0 - jnp.hypot(u + 0.4 * lx - 0.1, v + 0.4 * ly + 0.1) * 3.1, 0.0, 1.0)
  spot = 0.75 * spot * spot * gloss * covered
  gain = 1.0 + (lit * texture - 1.0) * covered
  return tuple(jnp.clip(p * gain, 0.0, 255.0) * (1.0 - spot) + 255.0 * spot for p in rgb)


def shadow(rgb, y, x, px, place: Place, top_view, strength=0.38):
  """A soft contact shadow: under the sprite's base from the side, offset below it from the
  top."""
  cy = jnp.where(top_view, place.cy + 0.25 * place.scale, place.cy + 0.92 * place.scale)
  cx = place.cx + jnp.where(top_view, 0.2 * place.scale, 0.0)
  ry = jnp.where(top_view, 0.75, 0.16) * place.scale
  soft = px + 0.15 * place.scale
  d = (jnp.hypot((x - cx) / (0.85 * place.scale), (y - cy) / ry) - 1.0) * ry
  a = jnp.clip(0.5 - d / soft, 0.0, 1.0) * place.on * strength
  return R.scale(rgb, 1.0 - a)


def paint_sorted(rgb, y, x, px, cats, colours, places: Place, look: Look, mats, noise, depth):
  """Sprites painted far to near (ascending `depth`); all arrays have one row per sprite."""
  order = jnp.argsort(depth)
  looks = jnp.asarray(MATERIAL_LOOK)[mats] * (mats >= 0)[:, None]

  def sprite(i, rgb):
    j = order[i]
    place = Place(*(f[j] for f in places))
    out, _ = paint(
      rgb, y, x, px, cats[j], colours[j], place, look._replace(material=looks[j]), noise
    )
    return out

  return jax.lax.fori_loop(0, cats.shape[0], sprite, rgb)
