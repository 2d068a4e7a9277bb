"""Host-side drawing primitives (numpy) for the launcher's precomputed art.

A canvas is float32[H, W, 3] in 0..255 or a bool mask; shapes are painted in place.
Coordinates are pixels, y down, x right; rectangles are [y0, y1) x [x0, x1).
"""

import numpy as np

from envs.launcher import font


def canvas(h: int, w: int, colour) -> np.ndarray:
  return np.broadcast_to(np.asarray(colour, np.float32), (h, w, 3)).copy()


def _grid(img: np.ndarray):
  ys, xs = np.mgrid[: img.shape[0], : img.shape[1]]
  return ys + 0.5, xs + 0.5


def paint(img: np.ndarray, mask: np.ndarray, colour) -> np.ndarray:
  img[mask] = np.asarray(colour, np.float32)
  return img


def rect(img, y0, x0, y1, x1, colour):
  img[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = np.asarray(colour, np.float32)
  return img


def circle_mask(shape, cy, cx, r) -> np.ndarray:
  ys, xs = np.mgrid[: shape[0], : shape[1]]
  return (ys + 0.5 - cy) ** 2 + (xs + 0.5 - cx) ** 2 <= r * r


def circle(img, cy, cx, r, colour):
  return paint(img, circle_mask(img.shape, cy, cx, r), colour)


def ring(img, cy, cx, r, width, colour):
  mask = circle_mask(img.shape, cy, cx, r) & ~circle_mask(img.shape, cy, cx, r - width)
  return paint(img, mask, colour)


def rounded_rect(img, y0, x0, y1, x1, radius, colour):
  ys, xs = _grid(img)
  cy = np.clip(ys, y0 + radius, y1 - radius)
  cx = np.clip(xs, x0 + radius, x1 - radius)
  mask = (ys >= y0) & (ys <= y1) & (xs >= x0) & (xs <= x1)
  mask &= (ys - cy) ** 2 + (xs - cx) ** 2 <= radius * radius
  return paint(img, mask, colour)


def triangle(img, points, colour):
  """Filled triangle with vertices [(y, x)] * 3."""
  ys, xs = _grid(img)
  (ay, ax), (by, bx), (cy, cx) = points

  def side(py, px, qy, qx):
    return (xs - px) * (qy - py) - (ys - py) * (qx - px)

  d1, d2, d3 = side(ay, ax, by, bx), side(by, bx, cy, cx), side(cy, cx, ay, ax)
  mask = ((d1 >= 0) & (d2 >= 0) & (d3 >= 0)) | ((d1 <= 0) & (d2 <= 0) & (d3 <= 0))
  return paint(img, mask, colour)


def line(img, y0, x0, y1, x1, colour, width: float = 1.0):
  ys, xs = _grid(img)
  dy, dx = y1 - y0, x1 - x0
  t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / max(dy * dy + dx * dx, 1e-6), 0, 1)
  dist = np.hypot(ys - (y0 + t * dy), xs - (x0 + t * dx))
  return paint(img, dist <= width / 2, colour)


def text(img, y, x, string: str, colour, scale: int = 1, max_width: int | None = None):
  """Draws `string` with its top-left at (y, x), cut to `max_width` pixels if given."""
  if max_width is not None:
    string = font.fit(string, max_width // scale)
  ink = font.rasterise(string, scale)
  h, w = ink.shape
  h, w = min(h, img.shape[0] - y), min(w, img.shape[1] - x)
  if h > 0 and w > 0:
    img[y : y + h, x : x + w][ink[:h, :w]] = np.asarray(colour, np.float32)
  return img


def text_lines(img, rng, y0, y1, x0, x1, colour, gap: int = 4, height: int = 2):
  """Grey bars standing for lines of body text, random lengths."""
  for y in range(y0, y1 - height + 1, gap):
    end = x0 + int((x1 - x0) * rng.uniform(0.45, 1.0))
    rect(img, y, x0, y + height, end, colour)
  return img


def mix(a, b, t: float) -> tuple[float, float, float]:
  """Colour between a (t=0) and b (t=1)."""
  return tuple(float(u) + (float(v) - float(u)) * t for u, v in zip(a, b, strict=True))


def luminance(colour) -> float:
  r, g, b = colour
  return 0.299 * r + 0.587 * g + 0.114 * b


def ink_on(colour) -> tuple[int, int, int]:
  """Readable text colour on a background."""
  return (20, 20, 20) if luminance(colour) > 150 else (255, 255, 255)


def to_uint8(img: np.ndarray) -> np.ndarray:
  return np.clip(np.round(img), 0, 255).astype(np.uint8)
