"""load_clip: sources, embeddings against transformers' PyTorch CLIP, and clear errors."""

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

from vlm_rewards import clip as clip_module
from vlm_rewards import weights
from vlm_rewards.clip import load_clip
from vlm_rewards.preprocess import preprocess


def _frames(batch, height, width, seed=0):
  return np.random.default_rng(seed).integers(0, 256, (batch, height, width, 3), dtype=np.uint8)


def _torch_image_emb(torch_model, pixels_nhwc):
  pixels = torch.from_numpy(np.asarray(pixels_nhwc).transpose(0, 3, 1, 2).copy())
  with torch.inference_mode():
    emb = torch_model.get_image_features(pixel_values=pixels).numpy()
  return emb / np.linalg.norm(emb, axis=-1, keepdims=True)


def _cosine(a, b):
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


def test_tiny_clip_properties(tiny_clip):
  assert (tiny_clip.embed_dim, tiny_clip.image_size, tiny_clip.max_text_length) == (16, 32, 16)
  assert set(tiny_clip.image_params) == {"vision_model", "visual_projection"}
  assert tiny_clip.temperature == pytest.approx(np.exp(-2.6592), rel=1e-4)


@pytest.mark.parametrize("size", [(32, 32), (40, 56)])
def test_image_embeddings_match_pytorch_clip(tiny_clip, tiny_torch_clip, size):
  frames = _frames(3, *size)
  pixels = preprocess(jnp.asarray(frames), tiny_clip.preprocess_config)
  ours = np.asarray(tiny_clip.embed_images(frames))
  theirs = _torch_image_emb(tiny_torch_clip, pixels)
  assert ours.shape == (3, 16) and ours.dtype == np.float32
  np.testing.assert_allclose(np.linalg.norm(ours, axis=-1), 1.0, atol=1e-5)
  assert _cosine(ours, theirs).min() >= 0.999


def test_text_embeddings_match_pytorch_clip(tiny_clip, tiny_torch_clip):
  texts = ["a photo of a cat", "Lift a blue duck", "go near the red chair"]
  ids, mask = tiny_clip.tokenize(texts)
  with torch.inference_mode():
    theirs = tiny_torch_clip.get_text_features(
      input_ids=torch.from_numpy(ids).long(), attention_mask=torch.from_numpy(mask).long()
    )
  theirs = theirs.numpy() / np.linalg.norm(theirs.numpy(), axis=-1, keepdims=True)
  ours = np.asarray(tiny_clip.embed_text(texts))
  np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_shipped_tokenizer_matches_openai_ids(tiny_clip):
  ids, mask = tiny_clip.tokenize(["a photo of a cat"])
  assert ids[0, :7].tolist() == [49406, 320, 1125, 539, 320, 2368, 49407]
  assert mask[0].tolist() == [1] * 7 + [0] * 9


@pytest.mark.parametrize("fmt", ["safetensors", "bin"])
def test_pytorch_weights_are_converted(tiny_clip, tiny_clip_dirs, fmt):
  other = load_clip(tiny_clip_dirs[fmt])
  assert jax.tree.structure(other.params) == jax.tree.structure(tiny_clip.params)
  for ours, converted in zip(
    jax.tree.leaves(tiny_clip.params), jax.tree.leaves(other.params), strict=True
  ):
    assert converted.dtype == jnp.float32
    np.testing.assert_allclose(converted, ours, atol=1e-6)


def test_bfloat16_compute_returns_float32_close_to_fp32(tiny_clip, tiny_clip_dirs):
  bf16 = load_clip(tiny_clip_dirs["flax"], dtype=jnp.bfloat16)
  frames = _frames(4, 32, 32, seed=2)
  emb = bf16.embed_images(frames)
  assert emb.dtype == jnp.float32
  assert _cosine(emb, tiny_clip.embed_images(frames)).min() > 0.99
  text = bf16.embed_text(["open the clock app"])
  assert text.dtype == jnp.float32
  assert _cosine(text, tiny_clip.embed_text(["open the clock app"])).min() > 0.99


def test_image_embed_fn_is_pure_and_jittable(tiny_clip):
  frames = jnp.asarray(_frames(2, 32, 32, seed=3))
  fn = jax.jit(tiny_clip.image_embed_fn)
  np.testing.assert_allclose(
    fn(tiny_clip.image_params, frames), tiny_clip.embed_images(frames), atol=1e-6
  )
  zeroed = jax.tree.map(jnp.zeros_like, tiny_clip.image_params)
  assert not np.allclose(fn(zeroed, frames), fn(tiny_clip.image_params, frames))


def test_embed_text_batches_many_texts(tiny_clip, monkeypatch):
  monkeypatch.setattr(clip_module, "TEXT_BATCH", 2)
  texts = [f"goal number {i}" for i in range(5)]
  chunked = tiny_clip.embed_text(texts)
  one_by_one = np.concatenate([tiny_clip.embed_text([t]) for t in texts])
  np.testing.assert_allclose(chunked, one_by_one, atol=1e-5)


def test_truncation_warns_and_names_text(tiny_clip):
  long_text = "lift the small blue duck " * 5
  with pytest.warns(UserWarning, match="truncated.*lift the small blue duck"):
    emb = tiny_clip.embed_text(["a cat", long_text])
  assert emb.shape == (2, 16)


def test_short_text_does_not_warn(tiny_clip, recwarn):
  tiny_clip.embed_text(["a cat"])
  assert not [w for w in recwarn if "truncated" in str(w.message)]


def test_empty_goal_list_and_strings_are_rejected(tiny_clip):
  with pytest.raises(ValueError, match="empty list"):
    tiny_clip.embed_text([])
  with pytest.raises(ValueError, match="text 1 is an empty string"):
    tiny_clip.embed_text(["a cat", "   "])
  with pytest.raises(ValueError, match="wrap it in a list"):
    tiny_clip.embed_text("a cat")


def test_embed_images_rejects_float_frames(tiny_clip):
  with pytest.raises(ValueError, match=r"uint8 frames \[B, H, W, 3\]"):
    tiny_clip.embed_images(np.zeros((1, 32, 32, 3), np.float32))


def test_unknown_path_error():
  with pytest.raises(FileNotFoundError, match="No folder '/no/such/clip/folder'"):
    load_clip("/no/such/clip/folder")


def test_hub_id_offline_error_says_how_to_fix():
  with pytest.raises(FileNotFoundError, match="huggingface-cli download.*folder path"):
    load_clip("vlm-rewards-test/no-such-model-xyz")


@pytest.mark.parametrize("name", ["bundled", "bundled-android"])
def test_bundled_not_built_error(monkeypatch, tmp_path, name):
  monkeypatch.setitem(clip_module.BUNDLED, name, tmp_path / "not_built")
  with pytest.raises(
    FileNotFoundError, match=rf"{name}' is not built yet.*python -m experiments\.pretrain_clip"
  ):
    load_clip(name)


def test_folder_without_weights_error(copy_config):
  with pytest.raises(FileNotFoundError, match="has no weights: expected one of flax_model"):
    load_clip(copy_config())


def test_folder_without_config_error(tmp_path):
  with pytest.raises(FileNotFoundError, match="no config.json"):
    load_clip(tmp_path)


def test_non_clip_config_error(copy_config):
  folder = copy_config()
  (folder / "config.json").write_text('{"model_type": "bert"}')
  with pytest.raises(ValueError, match="not a 'clip' model"):
    load_clip(folder)


@pytest.mark.parametrize(
  "fmt,file", [("flax", "flax_model.msgpack"), ("safetensors", "model.safetensors")]
)
def test_corrupt_weights_error(copy_config, tiny_clip_dirs, fmt, file):
  folder = copy_config()
  data = (tiny_clip_dirs[fmt] / file).read_bytes()
  (folder / file).write_bytes(data[: len(data) // 3])
  with pytest.raises(ValueError, match="corrupt, truncated"):
    load_clip(folder)


def test_pytorch_bin_without_torch_error(monkeypatch, copy_config, tiny_clip_dirs):
  folder = copy_config()
  shutil.copy(tiny_clip_dirs["bin"] / "pytorch_model.bin", folder)
  monkeypatch.setattr(weights, "torch_available", lambda: False)
  with pytest.raises(ImportError, match="pip install torch"):
    load_clip(folder)


def test_bad_dtype_error(tiny_clip_dirs):
  with pytest.raises(ValueError, match="float32 or bfloat16"):
    load_clip(tiny_clip_dirs["flax"], dtype=jnp.float16)


def test_folder_tokenizer_is_preferred(copy_config, tiny_clip_dirs):
  folder = copy_config()
  shutil.copy(tiny_clip_dirs["flax"] / "flax_model.msgpack", folder)
  for name in ("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(clip_module.TOKENIZER_DIR / name, folder)
  config = (
    (folder / "tokenizer_config.json")
    .read_text()
    .replace('"model_max_length": 77', '"model_max_length": 8')
  )
  (folder / "tokenizer_config.json").write_text(config)
  assert load_clip(folder).max_text_length == 8
