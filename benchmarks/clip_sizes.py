"""Image-tower throughput of the pretraining size presets (frames/s at batch 256), as JSON.

The CPU is shared, so each size is timed several times and the best repeat is reported,
together with its ratio to a reference ViT (width 128, 4 layers, patch 8) timed in the same
run: the ratio, unlike the absolute speed, survives other users' load.

  python benchmarks/clip_sizes.py [--sizes XS,S,M,L] [--batch 256] [--repeats 5]
"""

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

from vlm_rewards import pretrain

REFERENCE = pretrain.ClipSize(128, 4, 4, 8, 32, 1, 2, 64)


def image_fps(size: pretrain.ClipSize, batch: int, repeats: int) -> float:
  """Best-of-`repeats` frames/s of frames_to_pixels + the image tower + projection."""
  model, params = pretrain.init_model(pretrain.make_clip_config(size), seed=0)
  embed = jax.jit(lambda p, f: model.get_image_features(pretrain.frames_to_pixels(f), params=p))
  frames = jnp.asarray(np.random.default_rng(0).integers(0, 256, (batch, 64, 64, 3), np.uint8))
  embed(params, frames).block_until_ready()
  best = float("inf")
  for _ in range(repeats):
    t0 = time.perf_counter()
    embed(params, frames).block_until_ready()
    best = min(best, time.perf_counter() - t0)
  return batch / best


def param_megabytes(size: pretrain.ClipSize) -> float:
  _, params = pretrain.init_model(pretrain.make_clip_config(size), seed=0)
  return 4 * sum(x.size for x in jax.tree.leaves(params)) / 1e6


def main() -> None:
  parser = argparse.ArgumentParser()
  parser.add_argument("--sizes", default=",".join(pretrain.PRESETS))
  parser.add_argument("--batch", type=int, default=256)
  parser.add_argument("--repeats", type=int, default=5)
  args = parser.parse_args()
  ref = image_fps(REFERENCE, args.batch, args.repeats)
  rows = {"reference_w128_l4_p8": {"frames_per_s": round(ref, 1)}}
  for name in args.sizes.split(","):
    size = pretrain.PRESETS[name]
    fps = image_fps(size, args.batch, args.repeats)
    rows[name] = {
      "frames_per_s": round(fps, 1),
      "ratio_to_reference": round(fps / ref, 2),
      "float32_megabytes": round(param_megabytes(size), 2),
      **{k: v for k, v in vars(size).items()},
    }
  print(json.dumps({"batch": args.batch, "sizes": rows}, indent=2))


if __name__ == "__main__":
  main()
