"""A "web stand-in" image-text corpus: procedurally drawn pictures with alt-text captions.

Everyday objects in colours (photos, cartoons, rooms seen at child height) and phone
material (app icons, app screenshots, home screens), drawn in JAX on the fly, captioned in
the style of web alt text with its noise. It shares nothing with `envs/` (no imports, no
drawing code, no goal templates; tests/test_corpus.py checks) and no caption states a goal.

Public API:
  CorpusConfig, KINDS
  sample(config, seed, index, batch_size, split="train") -> dict(frames, captions,
    all_captions, concepts, kinds)
  batches(config, seed, batch_size, split="train", start=0) -> iterator of those
  tokenized_batches(config, seed, batch_size, max_text_length, caption_tokens=None,
    split="train", start=0) -> iterator of dict(frames, input_ids, attention_mask, match)
  match_matrix(concepts_a, concepts_b, kinds_a=None, kinds_b=None) -> bool [A, B]
  CaptionTokens(max_text_length): cached tokenisation
  specs.concept_name(id), specs.vocabulary(num_concepts)
  `python -m vlm_rewards.corpus.grid --out=docs/corpus.png` draws a captioned grid.
"""

from vlm_rewards.corpus.stream import (
  KINDS,
  CaptionTokens,
  CorpusConfig,
  batches,
  match_matrix,
  sample,
  tokenized_batches,
)

__all__ = [
  "KINDS",
  "CaptionTokens",
  "CorpusConfig",
  "batches",
  "match_matrix",
  "sample",
  "tokenized_batches",
]
