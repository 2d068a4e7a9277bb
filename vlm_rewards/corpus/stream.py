"""Seeded batches of the corpus: frames, captions, concept ids; and tokenized batches for
`vlm_rewards.pretrain.train`.

Batch `index` of a (config, seed, split) depends on nothing else: its host-side random
stream is seeded with (seed, split, index) and its drawing key folds in the same numbers, so
batches can be drawn in any order, skipped or redrawn. The held-out split is another stream
of the same distribution (for calibrating a reward from the corpus side only).

Kinds are allotted in the proportions of `kind_weights` (each kind gets floor(B * w) images
and the remaining seats go to kinds at random in proportion to what is left), then shuffled.
A kind's drawer always runs on ceil(B * w) images, so its shapes, and its compiled program,
do not change from batch to batch.
"""

import dataclasses
import itertools
from collections.abc import Iterator

import jax
import numpy as np

from vlm_rewards.corpus import captions as CA
from vlm_rewards.corpus import draw as D
from vlm_rewards.corpus import specs as SPEC

SPLITS = {"train": 0, "heldout": 1}
KINDS = SPEC.KINDS


@dataclasses.dataclass(frozen=True)
class CorpusConfig:
  """Knobs of the corpus.

  image_size: frames are uint8 [S, S, 3].
  num_concepts: keep the first N object categories and the first N apps (None: all), for
    scaling studies; the first categories and apps are the everyday ones.
  caption_noise: chance a caption loses a word or gains a filler ("hd", "stock photo").
  wrong_colour_rate: chance a caption names the wrong colour.
  unrelated_rate: chance a caption is unrelated ("IMG_2041.jpg").
  kind_weights: shares of photo, illustration, scene, app_icon, screenshot, home_screen.
  captions_per_image: alt texts drawn per image; `captions` holds the first of each.
  """

  image_size: int = 64
  num_concepts: int | None = None
  caption_noise: float = 0.15
  wrong_colour_rate: float = 0.05
  unrelated_rate: float = 0.02
  kind_weights: tuple[float, ...] = (0.3, 0.15, 0.2, 0.1, 0.15, 0.1)
  captions_per_image: int = 3

  def __post_init__(self):
    if len(self.kind_weights) != len(KINDS) or min(self.kind_weights) < 0:
      raise ValueError(f"kind_weights: {len(KINDS)} non-negative shares for {KINDS}")
    if sum(self.kind_weights) <= 0 or self.captions_per_image < 1 or self.image_size < 8:
      raise ValueError("need a positive kind weight, captions_per_image >= 1, image_size >= 8")

  @property
  def weights(self) -> np.ndarray:
    w = np.asarray(self.kind_weights, np.float64)
    return w / w.sum()


def capacity(config: CorpusConfig, batch_size: int) -> np.ndarray:
  """int [num_kinds]: how many images each kind's drawer draws per batch (ceil(B * w))."""
  return np.ceil(batch_size * config.weights - 1e-9).astype(int)


def allot(rng: np.random.Generator, config: CorpusConfig, batch_size: int) -> np.ndarray:
  """int [num_kinds] counts summing to `batch_size`, each within its kind's capacity."""
  share = batch_size * config.weights
  counts = np.floor(share + 1e-9).astype(int)
  rest = share - counts
  left = batch_size - counts.sum()
  if left > 0:
    extra = rng.choice(len(KINDS), left, replace=False, p=rest / rest.sum())
    counts[extra] += 1
  return counts


def sample(config: CorpusConfig, seed: int, index: int, batch_size: int, split: str = "train"):
  """Batch `index` of the (seed, split) stream: a dict with
  frames uint8 [B, S, S, 3], captions list[str] (B), all_captions list[list[str]] (B x
  captions_per_image), concepts int32 [B, MAX_CONCEPTS] (main first, -1 padded), kinds int32
  [B] (indices into KINDS)."""
  rng = np.random.default_rng([seed, SPLITS[split], index])
  key = jax.random.fold_in(jax.random.fold_in(jax.random.key(seed), SPLITS[split]), index)
  vocab = SPEC.vocabulary(config.num_concepts)
  counts, caps = allot(rng, config, batch_size), capacity(config, batch_size)
  noise = (config.caption_noise, config.wrong_colour_rate, config.unrelated_rate)
  frames, texts, concepts, kinds = [], [], [], []
  for k, kind in enumerate(KINDS):
    if caps[k] == 0:
      continue
    spec = SPEC.SAMPLERS[kind](rng, int(caps[k]), vocab)
    frames.append((D.draw(kind, jax.random.fold_in(key, k), spec, config.image_size), counts[k]))
    spec = SPEC.take(spec, slice(0, counts[k]))
    for i in range(counts[k]):
      row = {name: v[i] for name, v in spec.items()}
      texts.append(CA.captions(rng, kind, row, config.captions_per_image, noise))
    concepts.append(SPEC.concepts(kind, spec))
    kinds.append(np.full(counts[k], k, np.int32))
  order = rng.permutation(batch_size)
  frames = np.concatenate([np.asarray(f)[:n] for f, n in frames])[order]
  texts = [texts[i] for i in order]
  return {
    "frames": frames,
    "captions": [t[0] for t in texts],
    "all_captions": texts,
    "concepts": np.concatenate(concepts)[order],
    "kinds": np.concatenate(kinds)[order],
  }


def batches(
  config: CorpusConfig, seed: int, batch_size: int, split: str = "train", start: int = 0
) -> Iterator[dict]:
  """Endless `sample`s of indices start, start + 1, ..."""
  for index in itertools.count(start):
    yield sample(config, seed, index, batch_size, split)


def match_matrix(concepts_a, concepts_b, kinds_a=None, kinds_b=None) -> np.ndarray:
  """bool [A, B]: image i of a and caption j of b describe the same thing, their main
  concepts (column 0) being equal, and, when kinds are given, their kinds too (a cartoon's
  caption need not fit a photo).

  Used as the multi-positive `match` of `pretrain.contrastive_loss`, so that two images of a
  blue mug in one batch do not push each other's captions away.
  """
  a, b = np.asarray(concepts_a)[:, 0], np.asarray(concepts_b)[:, 0]
  match = (a[:, None] == b[None, :]) & (a[:, None] >= 0)
  if kinds_a is not None and kinds_b is not None:
    match &= np.asarray(kinds_a)[:, None] == np.asarray(kinds_b)[None, :]
  return match


class CaptionTokens:
  """Token ids and masks of captions, remembered: a corpus repeats its captions often."""

  def __init__(self, max_text_length: int, limit: int = 200_000):
    from vlm_rewards import pretrain  # transformers is only needed for tokenized batches

    self._tokenize = pretrain.tokenize
    self.tokenizer = pretrain.load_tokenizer(max_text_length)
    self.max_text_length, self.limit = max_text_length, limit
    self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

  def __call__(self, captions: list[str]) -> tuple[np.ndarray, np.ndarray]:
    new = sorted({c for c in captions if c not in self.cache})
    if len(self.cache) + len(new) > self.limit:
      self.cache.clear()  # forget everything, then tokenize every caption of this call
      new = sorted(set(captions))
    if new:
      ids, mask = self._tokenize(self.tokenizer, new, self.max_text_length)
      self.cache.update({c: (i, m) for c, i, m in zip(new, ids, mask, strict=True)})
    rows = [self.cache[c] for c in captions]
    return np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])


def tokenized_batches(
  config: CorpusConfig,
  seed: int,
  batch_size: int,
  max_text_length: int,
  caption_tokens: CaptionTokens | None = None,
  split: str = "train",
  start: int = 0,
) -> Iterator[dict]:
  """Endless batches as `pretrain.train` consumes them: frames uint8 [B, S, S, 3],
  input_ids and attention_mask int32 [B, max_text_length], match bool [B, B]."""
  tokens = caption_tokens or CaptionTokens(max_text_length)
  for batch in batches(config, seed, batch_size, split, start):
    ids, mask = tokens(batch["captions"])
    match = match_matrix(batch["concepts"], batch["concepts"], batch["kinds"], batch["kinds"])
    np.fill_diagonal(match, True)
    yield {"frames": batch["frames"], "input_ids": ids, "attention_mask": mask, "match": match}
