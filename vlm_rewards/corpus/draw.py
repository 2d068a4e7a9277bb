"""Batched drawing: one jitted, vmapped drawer per kind of image.

`draw(kind, key, spec, size)` draws one image per row of a host-side spec (`specs.py`), each
with its own key, as uint8 [n, size, size, 3]. Every drawer uses full-frame masked
operations with static shapes, so a kind compiles once per (size, n) and then draws a batch
without Python in the loop.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards.corpus import phone, photos, screens
from vlm_rewards.corpus import raster as R

DRAWERS = {
  "photo": functools.partial(photos.draw_objects, cartoon=False),
  "illustration": functools.partial(photos.draw_objects, cartoon=True),
  "scene": photos.draw_scene,
  "app_icon": phone.draw_icon,
  "screenshot": screens.draw_screenshot,
  "home_screen": phone.draw_home,
}


@functools.cache
def compiled(kind: str, size: int):
  """The batch drawer of a kind at an image size: f(key, spec, live) -> uint8 [n, S, S, 3]
  (`live`: a True that the compiler cannot see, `raster.materialising`)."""
  one = DRAWERS[kind]

  def batch(key, spec, live):
    n = len(next(iter(spec.values())))
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(n))
    with R.materialising(live):
      return jax.vmap(lambda k, s: one(k, s, size))(keys, spec)

  return jax.jit(batch)


def draw(kind: str, key, spec: dict, size: int) -> jax.Array:
  """uint8 [n, size, size, 3]: one image per spec row, image i drawn with `fold_in(key, i)`
  (dispatched asynchronously; read it with np.asarray)."""
  spec = {k: np.asarray(v) for k, v in spec.items()}
  return compiled(kind, size)(key, spec, np.bool_(True))
