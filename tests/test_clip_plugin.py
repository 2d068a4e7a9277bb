"""`reward.model` takes the import path of another CLIP implementation's loader: the plain-JAX
`examples/patch_clip.py` (no transformers) trains the smoke config through the unchanged
trainer, and a loader that returns something else is refused with what it lacks."""

import jax.numpy as jnp
import numpy as np
import pytest

from examples import corridor_config, patch_clip
from experiments import registry
from experiments import train as train_lib
from vlm_rewards.reward_model import RewardCLIP

LOADER = "examples.patch_clip:load"


def _not_a_clip(dtype):
  del dtype
  return object()


def test_a_second_clip_implementation_trains_the_smoke_config(tmp_path):
  config = corridor_config.get_config()
  config.reward.model = LOADER
  assert config.reward.source == "vlm"  # the reward comes from the plugged-in CLIP
  run = train_lib.Run(config)
  plugged = run.trainer.reward_model.clip
  assert isinstance(plugged, patch_clip.PatchCLIP) and isinstance(plugged, RewardCLIP)
  _, rows = train_lib.train(config, tmp_path, run=run, stop_after_calls=2)
  assert rows[-1]["frames"] == 2 * run.frames_per_call
  assert all(np.isfinite(rows[-1][k]) for k in ("vlm_return", "loss", "vlm_precision"))


def test_a_loader_without_the_clip_interface_is_refused_with_what_it_lacks():
  with pytest.raises(ValueError, match="returned a object without image_params, image_embed_fn"):
    registry.load_reward_clip(f"{__name__}:_not_a_clip", jnp.float32)
  with pytest.raises(ValueError, match="reward.model='examples.patch_clip:missing' cannot be"):
    registry.load_reward_clip("examples.patch_clip:missing", jnp.float32)
