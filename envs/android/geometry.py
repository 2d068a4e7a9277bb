"""Screen geometry: a device's screen in the agent's frame, and the frame's taps on the screen.

A phone's screen (about 2.2:1 on a Pixel 6, 1.875:1 on the launcher simulator) is fitted into
the agent's 120 x 64 frame with its aspect kept: scaled until it fills the frame's height or
width, and centred with black bars on the other side (`letterbox`, `fit_frame`), never
squashed. The agent's 6 x 4 tap grid lives in the frame; `tap_targets` maps the centre of each
of its cells back to the screen through the same letterbox, so that a tap lands where the agent
saw the cell. A `region` (fractions of the screen: top, left, bottom, right) puts the grid on
part of the screen instead, e.g. a real launcher's icon area without the status bar.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class Letterbox:
  """A screen scaled into a frame: the scaled screen is `height` x `width` pixels, its top-left
  corner at (`top`, `left`) of the `frame` (height, width)."""

  frame: tuple[int, int]
  top: int
  left: int
  height: int
  width: int

  @property
  def fills_frame(self) -> bool:
    return (self.height, self.width) == tuple(self.frame)


def letterbox(screen: tuple[int, int], frame: tuple[int, int]) -> Letterbox:
  """Where a `screen` (height, width) sits in a `frame` (height, width), aspect kept."""
  (sh, sw), (fh, fw) = screen, frame
  if min(sh, sw, fh, fw) < 1:
    raise ValueError(f"screen {screen} and frame {frame} need positive sizes.")
  if sh * fw == sw * fh:  # same aspect: no bars
    return Letterbox(tuple(frame), 0, 0, fh, fw)
  if sh * fw > sw * fh:  # taller than the frame: bars left and right
    width = max(1, round(sw * fh / sh))
    return Letterbox(tuple(frame), 0, (fw - width) // 2, fh, width)
  height = max(1, round(sh * fw / sw))
  return Letterbox(tuple(frame), (fh - height) // 2, 0, height, fw)


@functools.partial(jax.jit, static_argnums=1)
def _scale(pixels: jax.Array, shape: tuple[int, int]) -> jax.Array:
  h, w = pixels.shape[:2]
  x = pixels.astype(jnp.float32)
  if h % shape[0] == 0 and w % shape[1] == 0:  # block mean: exact for integer upscaling
    x = x.reshape(shape[0], h // shape[0], shape[1], w // shape[1], 3).mean(axis=(1, 3))
  else:
    x = jax.image.resize(x, (*shape, 3), "linear")
  return jnp.clip(jnp.round(x), 0, 255).astype(jnp.uint8)


def fit_frame(pixels: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
  """uint8 [H, W, 3] screenshot -> uint8 [*frame, 3]: scaled with its aspect kept, black bars
  where the aspects differ."""
  pixels = np.asarray(pixels)[..., :3]
  box = letterbox(pixels.shape[:2], frame)
  scaled = (
    pixels
    if pixels.shape[:2] == (box.height, box.width)
    else _scale(pixels, (box.height, box.width))
  )
  if box.fills_frame:
    return np.asarray(scaled)
  out = np.zeros((*frame, 3), np.uint8)
  out[box.top : box.top + box.height, box.left : box.left + box.width] = scaled
  return out


def frame_to_screen(box: Letterbox, y: float, x: float) -> tuple[float, float]:
  """A point of the frame (fractions of its height and width) -> the same point of the screen
  (fractions of the screen's), clipped to the screen where the point is on a bar."""
  fh, fw = box.frame
  sy = (y * fh - box.top) / box.height
  sx = (x * fw - box.left) / box.width
  return float(np.clip(sy, 0.0, 1.0)), float(np.clip(sx, 0.0, 1.0))


def tap_targets(box: Letterbox, rows: int, cols: int, region=None) -> np.ndarray:
  """float32 [rows * cols, 2] (x, y) screen fractions of each tap action, row-major: the centres
  of the frame's grid cells mapped through `box`; or, with `region` (top, left, bottom, right
  screen fractions), the centres of a grid over that part of the screen.

  Raises:
    ValueError: a region outside [0, 1] or empty.
  """
  row, col = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
  fy, fx = ((row.ravel() + 0.5) / rows), ((col.ravel() + 0.5) / cols)
  if region is not None:
    top, left, bottom, right = (float(v) for v in region)
    if not 0 <= top < bottom <= 1 or not 0 <= left < right <= 1:
      raise ValueError(
        f"tap region must be (top, left, bottom, right) fractions of the screen with "
        f"0 <= top < bottom <= 1 and 0 <= left < right <= 1, got {tuple(region)}."
      )
    xs, ys = left + fx * (right - left), top + fy * (bottom - top)
    points = list(zip(xs, ys, strict=True))
  else:
    points = [frame_to_screen(box, y, x)[::-1] for y, x in zip(fy, fx, strict=True)]
  return np.asarray(points, np.float32)
