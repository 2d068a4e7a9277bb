"""The threshold beta of Eq. 2 chosen on the corpus alone, so no environment label picks it.

Held-out corpus images (the "heldout" split, never in a training batch) and their first
captions stand in for frames and goals: each distinct caption is a goal, contrasted in Eq. 1
with K other captions as fixed negatives, exactly as `RewardModel` contrasts a goal with
other goals. Every image is scored against its own caption (a positive) and against
`negatives_per_image` captions of other concepts (negatives; `match_matrix` says which
captions describe an image, so a caption of another blue mug is not counted as a negative).
beta is the threshold of best F1 on these pairs, at the model's learned temperature.

  beta = calibration.corpus_threshold(load_clip("web-S"))["threshold"]
"""

import numpy as np

from vlm_rewards import evaluation
from vlm_rewards.corpus.stream import CorpusConfig, match_matrix, sample
from vlm_rewards.reward_model import RewardModel


def corpus_pairs(
  clip,
  *,
  config=None,
  seed=0,
  num_images=1024,
  num_negatives=32,
  negatives_per_image=3,
  temperature=None,
):
  """(probabilities [P], labels bool [P]) of the held-out image-caption pairs."""
  config = config or CorpusConfig(image_size=clip.image_size)
  batch = sample(config, seed, 0, num_images, split="heldout")
  first_image: dict[str, int] = {}  # each distinct caption, in first-seen order: its first image
  for i, caption in enumerate(batch["captions"]):
    first_image.setdefault(caption, i)
  captions, first = list(first_image), np.asarray(list(first_image.values()))
  index = {c: i for i, c in enumerate(captions)}
  own = np.asarray([index[c] for c in batch["captions"]])
  fits = match_matrix(
    batch["concepts"], batch["concepts"][first], batch["kinds"], batch["kinds"][first]
  )
  fits[np.arange(num_images), own] = True
  rng = np.random.default_rng(seed)
  image_ids, goal_ids, labels = [], [], []
  for i in range(num_images):
    others = np.flatnonzero(~fits[i])
    picks = rng.choice(others, min(negatives_per_image, len(others)), replace=False)
    image_ids += [i] * (1 + len(picks))
    goal_ids += [own[i], *picks]
    labels += [True] + [False] * len(picks)
  model = RewardModel(
    clip,
    captions,
    num_negatives=min(num_negatives, len(captions) - 1),
    temperature=temperature,
  )
  emb = evaluation.embed_frames(clip, batch["frames"])[np.asarray(image_ids)]
  p = np.asarray(model.goal_probability(emb, np.asarray(goal_ids)))
  return p, np.asarray(labels)


def corpus_threshold(clip, **kwargs) -> dict:
  """beta of best F1 on the corpus pairs (`corpus_pairs` keywords), with that F1 and the
  pairs' AP and base rate."""
  p, labels = corpus_pairs(clip, **kwargs)
  curve = evaluation.pr_curve(p, labels)
  best = evaluation.best_f1_threshold(curve)
  return {
    "threshold": float(best["threshold"]),
    "f1": float(best["f1"]),
    "average_precision": float(evaluation.average_precision(curve)),
    "base_rate": float(labels.mean()),
    "pairs": int(labels.size),
  }
