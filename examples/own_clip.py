"""Pretrain a tiny CLIP, save it as a Hugging Face folder, and load it back as a reward model.

  python -m examples.own_clip --out=/tmp/my_clip [--steps=80]

The captioned images are grey frames with one coloured square ("a red square"): small enough
to learn in seconds on a CPU. Any captioned uint8 frames train the same way
(`experiments/pretrain_clip.py` does it at scale on Playhouse frames and phone screens).
"""

import jax
import numpy as np
from absl import app, flags

from vlm_rewards import clip, pretrain
from vlm_rewards.reward_model import RewardModel

_OUT = flags.DEFINE_string("out", None, "The Hugging Face folder to write.")
_STEPS = flags.DEFINE_integer("steps", 80, "Contrastive steps (batches of 32 frames).")

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}
GOALS = tuple(f"a {name} square" for name in COLOURS)  # goal id = colour index
# 64x64 frames (the Playhouse's) in a 4x4 grid of patches; narrow towers train in seconds.
SIZE = pretrain.ClipSize(64, 2, 2, 16, 32, 1, 2, 32)
MAX_TEXT = 16


def squares(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
  """n frames, each with one square at a random place, and each square's colour index."""
  colours = rng.integers(0, len(COLOURS), n)
  frames = np.full((n, 64, 64, 3), 90, np.uint8)
  for frame, colour, (y, x) in zip(frames, colours, rng.integers(0, 40, (n, 2)), strict=True):
    frame[y : y + 24, x : x + 24] = list(COLOURS.values())[colour]
  return frames, colours.astype(np.int32)


def batches(seed: int = 0, size: int = 32):
  """Captioned batches; `match` marks every caption of the same colour as a positive."""
  tokenizer, rng = pretrain.load_tokenizer(MAX_TEXT), np.random.default_rng(seed)
  while True:
    frames, colours = squares(rng, size)
    ids, mask = pretrain.tokenize(tokenizer, [GOALS[c] for c in colours], MAX_TEXT)
    match = colours[:, None] == colours[None, :]
    yield {"frames": frames, "input_ids": ids, "attention_mask": mask, "match": match}


def pretrain_and_save(out: str, steps: int) -> RewardModel:
  """Trains the tiny CLIP, saves it in `out`, and returns a reward model of the saved copy."""
  model, params = pretrain.init_model(pretrain.make_clip_config(SIZE, 64, MAX_TEXT))
  optimizer = pretrain.make_optimizer(3e-3, warmup_steps=steps // 10, total_steps=steps)
  state = pretrain.create_train_state(params, optimizer)
  state, _ = pretrain.train(model, batches(), optimizer, steps, state, log_every=steps)
  pretrain.save_model(model, state.params, out)
  return RewardModel(clip.load_clip(out), GOALS, threshold=0.5)


def main(argv):
  del argv
  if _OUT.value is None:
    raise app.UsageError("--out is required: the folder for the saved CLIP.")
  reward_model = pretrain_and_save(_OUT.value, _STEPS.value)
  frames, colours = squares(np.random.default_rng(1), 256)
  reward_fn = jax.jit(reward_model.reward_fn)
  own, _ = reward_fn(reward_model.params, frames, colours)
  other, _ = reward_fn(reward_model.params, frames, (colours + 1) % len(GOALS))
  print(f"Mean reward on the frame's own goal {own.mean():.2f}, on another goal {other.mean():.2f}")
  print("Train with it:")
  print("  python -m experiments.train --config=experiments/configs/playhouse_find.py:smoke \\")
  print(f"      --config.reward.model={_OUT.value} --workdir=/tmp/own_clip")


if __name__ == "__main__":
  app.run(main)
