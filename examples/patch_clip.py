"""A second CLIP implementation, in plain JAX, plugged into training by the import path of its
loader (no transformers, no change to the trainer):

  python -m experiments.train --config=experiments/configs/playhouse_find.py:smoke \
      --config.reward.model=examples.patch_clip:load --workdir=/tmp/patch_clip

`load(dtype=...)` returns what `RewardModel` uses (`vlm_rewards.reward_model.RewardCLIP`): the
image tower's parameters, a pure image embedding function, the temperature, and a text
embedding method. The image tower projects the mean 8 x 8 patch of a frame, the text tower
averages hashed word vectors, and the weights are random: it shows the seam, not a reward
that means anything. A real one (SigLIP, OpenCLIP, big_vision's CLIP) loads its weights in
`load` the same way.
"""

import dataclasses
import functools
import zlib
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

EMBED_DIM = 32
PATCH = 8
VOCAB = 4096


def _normalise(x: jax.Array) -> jax.Array:
  return x / jnp.linalg.norm(x, axis=-1, keepdims=True).clip(1e-6)


def embed_images(params, frames: jax.Array, dtype=jnp.float32) -> jax.Array:
  """uint8 frames [B, H, W, 3] -> float32 [B, EMBED_DIM], L2-normalised; pure and jittable."""
  b, h, w, _ = frames.shape
  x = frames[:, : h // PATCH * PATCH, : w // PATCH * PATCH].astype(dtype) / 255.0
  patches = x.reshape(b, h // PATCH, PATCH, w // PATCH, PATCH, 3).mean((1, 3))
  return _normalise((patches.reshape(b, -1) @ params["proj"].astype(dtype)).astype(jnp.float32))


def _word_id(word: str) -> int:
  return zlib.crc32(word.encode()) % VOCAB  # the same in every process


@dataclasses.dataclass(frozen=True, eq=False)
class PatchCLIP:
  image_params: Any  # {"proj": float32 [PATCH * PATCH * 3, EMBED_DIM]}
  word_vectors: np.ndarray  # float32 [VOCAB, EMBED_DIM]
  temperature: float = 0.07
  dtype: Any = jnp.float32

  @functools.cached_property
  def image_embed_fn(self):
    return functools.partial(embed_images, dtype=self.dtype)

  def embed_text(self, texts: Sequence[str]) -> jax.Array:
    ids = [[_word_id(word) for word in text.lower().split()] for text in texts]
    rows = [self.word_vectors[i].mean(0) for i in ids]
    return _normalise(jnp.asarray(np.stack(rows), jnp.float32))


def load(dtype=jnp.float32, seed: int = 0) -> PatchCLIP:
  """A PatchCLIP with random weights drawn from `seed`."""
  image_key, text_key = jax.random.split(jax.random.PRNGKey(seed))
  proj = jax.random.normal(image_key, (PATCH * PATCH * 3, EMBED_DIM)) / np.sqrt(PATCH * PATCH * 3)
  words = np.asarray(jax.random.normal(text_key, (VOCAB, EMBED_DIM)))
  return PatchCLIP({"proj": proj}, words, dtype=dtype)
