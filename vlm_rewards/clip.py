"""Loads a CLIP checkpoint as Flax modules with pure, jittable embedding functions.

Sources: a local Hugging Face folder (Flax ``flax_model.msgpack``, or PyTorch/safetensors
weights converted on load), a Hugging Face hub id (downloaded when a hub is reachable), or
``"bundled"`` / ``"bundled-android"`` for the project's own small models in
``vlm_rewards/assets/bundled_clip`` (Playhouse) and ``bundled_android`` (phone screens).
A folder's own tokenizer is used when it has one; the bundled models have none and share the
package's single copy in ``vlm_rewards/assets/tokenizer``.

Example::

  clip = load_clip("/path/to/clip-vit-base-patch32")
  goal_emb = clip.embed_text(["a photo of a red ball"])        # [N, D], L2-normalised
  img_emb = clip.embed_images(frames_uint8)                     # [B, D], L2-normalised
  img_emb = jax.jit(clip.image_embed_fn)(clip.image_params, frames_uint8)
"""

import dataclasses
import functools
import pathlib
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import transformers
from transformers.models.clip import modeling_flax_clip

from vlm_rewards import weights
from vlm_rewards.preprocess import PreprocessConfig, load_config, preprocess
from vlm_rewards.rewards import l2_normalise

ASSETS = pathlib.Path(__file__).resolve().parent / "assets"
TOKENIZER_DIR = ASSETS / "tokenizer"
BUNDLED_DIR = ASSETS / "bundled_clip"
# The off-the-shelf family: CLIPs pretrained on the web stand-in corpus only
# (`vlm_rewards.corpus`), never on an environment frame. web-S ships; the others are built by
# `make web-clips` into the same folder layout.
WEB_SIZES = ("XXS", "XS", "S", "M", "L")
# Models the project trains (and ships, or builds with one command), by the name `load_clip`
# takes.
BUNDLED = {
  "bundled": BUNDLED_DIR,
  "bundled-android": ASSETS / "bundled_android",
  **{f"web-{s}": ASSETS / f"web_{s}" for s in WEB_SIZES},
}
SHIPPED = ("bundled", "bundled-android", "web-S")  # in the package; the rest are built
BUILD = {n: f"`make web-clips WEB_SIZES={n[4:]}`" for n in BUNDLED if n not in SHIPPED}
TEXT_BATCH = 256  # most texts embedded per compiled call
MIN_TEXT_BATCH = 8  # text batches are padded to powers of two from here, to limit compiles

ImageEmbedFn = Callable[[Any, jax.Array], jax.Array]


def make_image_embed_fn(
  config: transformers.CLIPConfig, preprocess_config: PreprocessConfig, dtype=jnp.float32
) -> ImageEmbedFn:
  """Builds ``image_embed_fn(image_params, frames_uint8 [B,H,W,3]) -> float32 [B,D]``.

  The function is pure (params are an argument), includes preprocessing, computes in
  ``dtype`` and returns L2-normalised float32 embeddings. ``image_params`` is
  ``{"vision_model": ..., "visual_projection": ...}`` (see ``CLIP.image_params``).
  """
  tower = modeling_flax_clip.FlaxCLIPVisionTransformer(config.vision_config, dtype=dtype)

  def image_embed_fn(image_params, frames: jax.Array) -> jax.Array:
    pixels = preprocess(frames, preprocess_config).astype(dtype)
    _, pooled = tower.apply(
      {"params": image_params["vision_model"]}, pixels, deterministic=True, return_dict=False
    )[:2]
    kernel = image_params["visual_projection"]["kernel"].astype(dtype)
    return l2_normalise(pooled.astype(dtype) @ kernel)

  return image_embed_fn


def make_text_embed_fn(config: transformers.CLIPConfig, dtype=jnp.float32):
  """Builds ``text_embed_fn(params, input_ids [N,L], attention_mask [N,L]) -> float32 [N,D]``."""
  tower = modeling_flax_clip.FlaxCLIPTextTransformer(config.text_config, dtype=dtype)

  def text_embed_fn(params, input_ids: jax.Array, attention_mask: jax.Array) -> jax.Array:
    position_ids = jnp.broadcast_to(jnp.arange(input_ids.shape[-1]), input_ids.shape)
    _, pooled = tower.apply(
      {"params": params["text_model"]},
      input_ids,
      attention_mask,
      position_ids,
      deterministic=True,
      return_dict=False,
    )[:2]
    kernel = params["text_projection"]["kernel"].astype(dtype)
    return l2_normalise(pooled.astype(dtype) @ kernel)

  return text_embed_fn


def _check_texts(texts: Sequence[str]) -> list[str]:
  """Raises a clear error for an empty list, a non-string or an empty string."""
  if isinstance(texts, str):
    raise ValueError(
      f"embed_text takes a list of strings, got one string {texts!r}; wrap it in a list."
    )
  texts = list(texts)
  if not texts:
    raise ValueError(
      "embed_text got an empty list of texts (empty goal list?); pass at least one goal string."
    )
  for i, text in enumerate(texts):
    if not isinstance(text, str):
      raise ValueError(f"text {i} is {type(text).__name__} {text!r}, not a string.")
    if not text.strip():
      raise ValueError(f"text {i} is an empty string {text!r}; every goal needs some words.")
  return texts


@dataclasses.dataclass(frozen=True, eq=False)  # identity hash: usable as a jit static.
class CLIP:
  """A loaded CLIP: parameters, tokenizer, preprocessing and pure embedding functions.

  Attributes:
    name: where it was loaded from.
    config: the transformers ``CLIPConfig``.
    params: the full parameter tree (float32 weights; ``dtype`` is the compute dtype).
    tokenizer: a ``CLIPTokenizer``.
    preprocess_config: the image preprocessing settings.
    dtype: compute dtype (float32 or bfloat16); embeddings are always returned as float32.
  """

  name: str
  config: transformers.CLIPConfig
  params: Any
  tokenizer: Any
  preprocess_config: PreprocessConfig
  dtype: Any = jnp.float32

  @property
  def image_params(self):
    """The image tower's parameters: the argument of ``image_embed_fn``."""
    return {
      "vision_model": self.params["vision_model"],
      "visual_projection": self.params["visual_projection"],
    }

  @property
  def embed_dim(self) -> int:
    """Size D of the joint embedding space."""
    return int(self.config.projection_dim)

  @property
  def image_size(self) -> int:
    """Side of the square image the vision tower takes."""
    return int(self.config.vision_config.image_size)

  @property
  def max_text_length(self) -> int:
    """Longest token sequence (with start and end tokens) the text tower takes."""
    return int(
      min(self.config.text_config.max_position_embeddings, self.tokenizer.model_max_length)
    )

  @property
  def temperature(self) -> float:
    """The model's learned softmax temperature, 1 / exp(logit_scale)."""
    return float(1.0 / np.exp(np.asarray(self.params["logit_scale"], np.float64)))

  @functools.cached_property
  def image_embed_fn(self) -> ImageEmbedFn:
    """Pure ``(image_params, frames_uint8 [B,H,W,3]) -> float32 [B,D]``, for use in jit."""
    return make_image_embed_fn(self.config, self.preprocess_config, self.dtype)

  @functools.cached_property
  def _jit_image_embed(self):
    return jax.jit(self.image_embed_fn)

  @functools.cached_property
  def _jit_text_embed(self):
    return jax.jit(make_text_embed_fn(self.config, self.dtype))

  def embed_images(self, frames) -> jax.Array:
    """Embeds uint8 frames [B, H, W, 3] to L2-normalised float32 [B, D] (jitted, cached)."""
    frames = jnp.asarray(frames)
    if frames.dtype != jnp.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
      raise ValueError(
        f"embed_images takes uint8 frames [B, H, W, 3], got {frames.dtype} {tuple(frames.shape)}."
      )
    return self._jit_image_embed(self.image_params, frames)

  def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask, int32 [N, max_text_length]; warns about truncation."""
    texts = _check_texts(texts)
    max_len = self.max_text_length
    full = self.tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
    for text, ids in zip(texts, full, strict=True):
      if len(ids) > max_len:
        warnings.warn(
          f"text truncated to the model's maximum of {max_len} tokens "
          f"(it has {len(ids)}): {text!r}",
          stacklevel=3,
        )
    encoded = self.tokenizer(
      texts, padding="max_length", truncation=True, max_length=max_len, return_tensors="np"
    )
    return (encoded["input_ids"].astype(np.int32), encoded["attention_mask"].astype(np.int32))

  def embed_text(self, texts: Sequence[str]) -> jax.Array:
    """Embeds texts to L2-normalised float32 [N, D]; warns for each truncated text."""
    input_ids, mask = self.tokenize(texts)
    count = input_ids.shape[0]
    chunk = min(TEXT_BATCH, max(MIN_TEXT_BATCH, 1 << (count - 1).bit_length()))
    pad = (-count) % chunk
    input_ids = np.pad(input_ids, ((0, pad), (0, 0)), mode="edge")
    mask = np.pad(mask, ((0, pad), (0, 0)), mode="edge")
    parts = [
      self._jit_text_embed(self.params, input_ids[i : i + chunk], mask[i : i + chunk])
      for i in range(0, count + pad, chunk)
    ]
    return jnp.concatenate(parts, axis=0)[:count]


def has_own_tokenizer(folder: pathlib.Path) -> bool:
  """Whether a model folder carries tokenizer files (a hub download or an exported model)."""
  return (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()


def _load_tokenizer(folder: pathlib.Path, config: transformers.CLIPConfig):
  """The folder's own tokenizer when it has one, else the shipped CLIP BPE tokenizer
  (`TOKENIZER_DIR`, the one copy the bundled models share) cut at the text tower's length."""
  if has_own_tokenizer(folder):
    return transformers.CLIPTokenizer.from_pretrained(str(folder))
  max_length = int(config.text_config.max_position_embeddings)
  return transformers.CLIPTokenizer.from_pretrained(str(TOKENIZER_DIR), model_max_length=max_length)


def load_clip(name_or_path: str | pathlib.Path, dtype=jnp.float32) -> CLIP:
  """Loads a CLIP model for reward computation.

  Args:
    name_or_path: a local Hugging Face folder (Flax, safetensors or PyTorch weights), a
      Hugging Face hub id such as ``"openai/clip-vit-base-patch32"`` (needs a reachable hub or
      the local hub cache), ``"bundled"`` for the project's own small Playhouse model,
      ``"bundled-android"`` for its phone-screen model (the launcher domain), or
      ``"web-S"`` (``"web-XXS"`` ... ``"web-L"`` once built) for the off-the-shelf family
      pretrained on the web stand-in corpus only (vlm_rewards/assets/web_S/README.md).
    dtype: compute dtype, ``jnp.float32`` or ``jnp.bfloat16``.

  Returns:
    A ``CLIP`` whose embeddings are float32 and L2-normalised.

  Raises:
    FileNotFoundError: unknown path, hub id not reachable, folder without weights, or the
      bundled model not built yet.
    ValueError: corrupt weights or a config that is not a CLIP.
    ImportError: PyTorch ``.bin`` weights without torch installed.
  """
  dtype = jnp.dtype(dtype)
  if dtype not in (jnp.dtype(jnp.float32), jnp.dtype(jnp.bfloat16)):
    raise ValueError(f"dtype must be float32 or bfloat16, got {dtype}.")
  folder = weights.resolve_folder(str(name_or_path), BUNDLED, BUILD)
  config, params = weights.load_params(folder)
  return CLIP(
    name=str(name_or_path),
    config=config,
    params=params,
    tokenizer=_load_tokenizer(folder, config),
    preprocess_config=load_config(folder, int(config.vision_config.image_size)),
    dtype=dtype,
  )
