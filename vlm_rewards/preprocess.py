"""CLIP image preprocessing in JAX: uint8 frames of any size to the vision tower's input.

Mirrors transformers' ``CLIPImageProcessor``: resize the shortest side to ``shortest_edge``
with (antialiased) bicubic resampling, round to uint8 as PIL does, centre crop, rescale to
[0, 1] and normalise with the CLIP mean and std. The output is NHWC, the layout the Flax
vision tower's patch convolution takes (``FlaxCLIPModel.get_image_features`` takes NCHW and
transposes it to NHWC before the same call).
"""

import dataclasses
import json
import pathlib

import chex
import jax
import jax.numpy as jnp

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
PREPROCESSOR_FILE = "preprocessor_config.json"


@dataclasses.dataclass(frozen=True)
class PreprocessConfig:
  """Static preprocessing settings (they fix shapes, so they are Python values).

  Attributes:
    shortest_edge: resize so that the shortest side has this length (aspect kept), or None.
    resize_hw: resize to exactly (height, width) instead; used when ``shortest_edge`` is None.
    crop_hw: centre crop to (height, width), or None for no crop.
    mean: per-channel mean, in [0, 1] units.
    std: per-channel standard deviation, in [0, 1] units.
  """

  shortest_edge: int | None = 224
  resize_hw: tuple[int, int] | None = None
  crop_hw: tuple[int, int] | None = (224, 224)
  mean: tuple[float, float, float] = CLIP_MEAN
  std: tuple[float, float, float] = CLIP_STD

  @property
  def output_hw(self) -> tuple[int, int] | None:
    """The (height, width) of the output when it does not depend on the frame size."""
    if self.crop_hw is not None:
      return self.crop_hw
    if self.resize_hw is not None:
      return self.resize_hw
    return None


def default_config(image_size: int) -> PreprocessConfig:
  """CLIP's standard preprocessing for a model whose vision tower takes ``image_size``."""
  return PreprocessConfig(shortest_edge=image_size, crop_hw=(image_size, image_size))


def _hw(value, name: str) -> tuple[int, int]:
  """Reads a size given as an int or as a {"height", "width"} dict."""
  if isinstance(value, int):
    return (value, value)
  if isinstance(value, dict) and "height" in value and "width" in value:
    return (int(value["height"]), int(value["width"]))
  raise ValueError(
    f"{PREPROCESSOR_FILE}: cannot read {name}={value!r}; expected an int or "
    "a dict with 'height' and 'width'."
  )


def config_from_dict(raw: dict, image_size: int) -> PreprocessConfig:
  """Builds a config from the fields of a Hugging Face ``preprocessor_config.json``."""
  base = default_config(image_size)
  shortest_edge, resize_hw = base.shortest_edge, None
  if not raw.get("do_resize", True):
    shortest_edge = None
  elif "size" in raw:
    size = raw["size"]
    if isinstance(size, dict) and "shortest_edge" in size:
      shortest_edge = int(size["shortest_edge"])
    elif isinstance(size, int):
      shortest_edge = size
    else:
      shortest_edge, resize_hw = None, _hw(size, "size")
  crop_hw = base.crop_hw
  if not raw.get("do_center_crop", True):
    crop_hw = None
  elif "crop_size" in raw:
    crop_hw = _hw(raw["crop_size"], "crop_size")
  mean = tuple(float(m) for m in raw.get("image_mean", base.mean))
  std = tuple(float(s) for s in raw.get("image_std", base.std))
  if not raw.get("do_normalize", True):
    mean, std = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
  return PreprocessConfig(shortest_edge, resize_hw, crop_hw, mean, std)


def load_config(folder: str | pathlib.Path | None, image_size: int) -> PreprocessConfig:
  """Reads ``preprocessor_config.json`` from ``folder`` when it has one, else CLIP defaults."""
  if folder is None:
    return default_config(image_size)
  path = pathlib.Path(folder) / PREPROCESSOR_FILE
  if not path.is_file():
    return default_config(image_size)
  try:
    raw = json.loads(path.read_text())
  except json.JSONDecodeError as err:
    raise ValueError(
      f"{path} is not valid JSON ({err}); fix or delete it to use CLIP's default preprocessing."
    ) from err
  return config_from_dict(raw, image_size)


def resized_hw(height: int, width: int, config: PreprocessConfig) -> tuple[int, int]:
  """Output size of the resize step, computed as transformers does (long side truncated)."""
  if config.shortest_edge is not None:
    short, long = min(height, width), max(height, width)
    new_long = int(config.shortest_edge * long / short)
    if height <= width:
      return (config.shortest_edge, new_long)
    return (new_long, config.shortest_edge)
  if config.resize_hw is not None:
    return config.resize_hw
  return (height, width)


def center_crop(images: jax.Array, crop_hw: tuple[int, int]) -> jax.Array:
  """Centre crop of [B, H, W, C] images, offsets as in transformers; pads with 0 if smaller."""
  height, width = images.shape[1:3]
  crop_h, crop_w = crop_hw
  pad_h, pad_w = max(crop_h - height, 0), max(crop_w - width, 0)
  if pad_h or pad_w:
    images = jnp.pad(
      images, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0))
    )
    height, width = images.shape[1:3]
  top, left = (height - crop_h) // 2, (width - crop_w) // 2
  return images[:, top : top + crop_h, left : left + crop_w, :]


def resize(images: jax.Array, config: PreprocessConfig) -> jax.Array:
  """The resize step alone: float [B, H, W, 3] in 0..255 -> resized, rounded as PIL's uint8."""
  batch, height, width, _ = images.shape
  new_h, new_w = resized_hw(height, width, config)
  if (new_h, new_w) == (height, width):
    return images
  images = jax.image.resize(images, (batch, new_h, new_w, 3), method="bicubic", antialias=True)
  # PIL resizes uint8 images to uint8: clip the bicubic overshoot and round as it does.
  return jnp.round(jnp.clip(images, 0.0, 255.0))


def preprocess(frames: jax.Array, config: PreprocessConfig) -> jax.Array:
  """Turns uint8 frames into normalised CLIP pixels; jittable (shapes are static).

  Args:
    frames: uint8 [B, H, W, 3] RGB frames of any size.
    config: the model's preprocessing settings.

  Returns:
    float32 [B, h, w, 3] (NHWC) pixels, ``((x / 255) - mean) / std``.
  """
  chex.assert_rank(frames, 4)
  chex.assert_axis_dimension(frames, 3, 3)
  images = resize(frames.astype(jnp.float32), config)
  if config.crop_hw is not None:
    images = center_crop(images, config.crop_hw)
  scale = 1.0 / (255.0 * jnp.asarray(config.std, jnp.float32))
  offset = jnp.asarray(config.mean, jnp.float32) / jnp.asarray(config.std, jnp.float32)
  return images * scale - offset
