"""JAX preprocessing against transformers' CLIPImageProcessor."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import transformers
from transformers import image_transforms

from vlm_rewards import preprocess as pp


def _frames(batch, height, width, seed=0):
  return np.random.default_rng(seed).integers(0, 256, (batch, height, width, 3), dtype=np.uint8)


def _smooth_frames(batch, height, width, seed=0):
  """Random but spatially smooth frames (closer to camera images than white noise)."""
  coarse = _frames(batch, max(height // 8, 2), max(width // 8, 2), seed).astype(np.float32)
  up = jax.image.resize(coarse, (batch, height, width, 3), method="linear")
  return np.asarray(jnp.clip(jnp.round(up), 0, 255)).astype(np.uint8)


def _processor(size):
  return transformers.CLIPImageProcessor(
    size={"shortest_edge": size}, crop_size={"height": size, "width": size}
  )


def _cosine(a, b):
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


@pytest.mark.parametrize("height,width", [(45, 60), (96, 64), (32, 32)])
def test_embeddings_agree_with_clip_image_processor(tiny_clip, tiny_torch_clip, height, width):
  frames = _frames(4, height, width, seed=height)
  theirs = _processor(32)(list(frames), return_tensors="np")["pixel_values"]
  ours = np.asarray(pp.preprocess(jnp.asarray(frames), tiny_clip.preprocess_config))
  assert ours.shape == (4, 32, 32, 3)
  # Both pixel tensors into the same (PyTorch) tower: only preprocessing differs.
  with torch.inference_mode():
    from_theirs = tiny_torch_clip.get_image_features(pixel_values=torch.from_numpy(theirs))
    from_ours = tiny_torch_clip.get_image_features(
      pixel_values=torch.from_numpy(ours.transpose(0, 3, 1, 2).copy())
    )
  assert _cosine(from_ours.numpy(), from_theirs.numpy()).min() >= 0.99


@pytest.mark.parametrize("height,width", [(300, 400), (250, 224)])
def test_pixels_close_to_clip_image_processor_at_224(height, width):
  frames = _smooth_frames(2, height, width, seed=width)
  theirs = _processor(224)(list(frames), return_tensors="np")["pixel_values"]
  ours = np.asarray(pp.preprocess(jnp.asarray(frames), pp.default_config(224)))
  diff = np.abs(ours.transpose(0, 3, 1, 2) - theirs)
  # One uint8 step is about 0.015 after normalisation; allow rounding and filter details.
  assert diff.mean() < 0.02 and diff.max() < 0.2


def test_no_resize_path_is_exact_normalisation():
  frames = _frames(2, 32, 32)
  theirs = _processor(32)(list(frames), return_tensors="np")["pixel_values"]
  ours = np.asarray(pp.preprocess(jnp.asarray(frames), pp.default_config(32)))
  np.testing.assert_allclose(ours.transpose(0, 3, 1, 2), theirs, atol=1e-5)


@pytest.mark.parametrize("height,width", [(45, 60), (60, 45), (33, 100), (32, 32)])
def test_resized_shape_matches_transformers(height, width):
  expected = image_transforms.get_resize_output_image_size(
    np.zeros((height, width, 3)), size=32, default_to_square=False
  )
  assert pp.resized_hw(height, width, pp.default_config(32)) == tuple(expected)


def test_center_crop_matches_transformers():
  image = _frames(1, 37, 50)
  theirs = image_transforms.center_crop(image[0], (32, 32))
  np.testing.assert_array_equal(pp.center_crop(jnp.asarray(image), (32, 32))[0], theirs)


def test_preprocess_is_jittable_and_static_in_shape():
  fn = jax.jit(lambda x: pp.preprocess(x, pp.default_config(32)))
  assert fn(jnp.asarray(_frames(3, 48, 64))).shape == (3, 32, 32, 3)
  assert fn(jnp.asarray(_frames(3, 64, 48))).shape == (3, 32, 32, 3)


def test_config_read_from_folder(tmp_path):
  raw = {
    "size": {"shortest_edge": 40},
    "crop_size": {"height": 36, "width": 36},
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.25, 0.25, 0.25],
  }
  (tmp_path / pp.PREPROCESSOR_FILE).write_text(json.dumps(raw))
  config = pp.load_config(tmp_path, image_size=32)
  assert config == pp.PreprocessConfig(40, None, (36, 36), (0.5,) * 3, (0.25,) * 3)
  out = pp.preprocess(jnp.full((1, 50, 80, 3), 255, jnp.uint8), config)
  assert out.shape == (1, 36, 36, 3)
  np.testing.assert_allclose(out, 2.0, atol=1e-5)  # (1 - 0.5) / 0.25


def test_config_defaults_and_variants(tmp_path):
  assert pp.load_config(tmp_path, image_size=64) == pp.default_config(64)
  legacy = pp.config_from_dict({"size": 48, "crop_size": 48}, image_size=32)
  assert (legacy.shortest_edge, legacy.crop_hw) == (48, (48, 48))
  exact = pp.config_from_dict({"size": {"height": 20, "width": 30}, "do_center_crop": False}, 32)
  assert (exact.shortest_edge, exact.resize_hw, exact.crop_hw) == (None, (20, 30), None)
  assert pp.preprocess(jnp.zeros((1, 50, 50, 3), jnp.uint8), exact).shape == (1, 20, 30, 3)


def test_bad_config_errors(tmp_path):
  (tmp_path / pp.PREPROCESSOR_FILE).write_text("{not json")
  with pytest.raises(ValueError, match="not valid JSON"):
    pp.load_config(tmp_path, image_size=32)
  with pytest.raises(ValueError, match="cannot read crop_size"):
    pp.config_from_dict({"crop_size": "big"}, 32)
