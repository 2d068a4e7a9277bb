"""Host milliseconds per CLIP pretraining batch against device milliseconds per train step.

  python benchmarks/pretrain_batches.py [--recipes S,relations S,launcher] [--batches 50]

`experiments.pretrain_clip.make_batch` (frames drawn from the pool, one caption per frame and,
with the relations recipe, its counterfactual, token ids, the multi-positive match matrix) is
NumPy on one host thread; the jitted train step runs on the device while the next batch is
built (asynchronous dispatch), so pretraining runs at about 1 / max(host, step) steps/s and is
host-bound where `host_over_step` > 1. Medians over `--batches` (after warm-up, which fills the
caption cache). The frame pool is smaller than a run's (2 rollouts), which does not change a
batch's cost. Prints JSON; `--out FILE` also writes it.
"""

import argparse
import json
import pathlib
import platform
import statistics
import sys
import time

import jax
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from experiments import pretrain_clip  # noqa: E402
from experiments.configs import pretrain_clip as pretrain_config  # noqa: E402
from vlm_rewards import pretrain  # noqa: E402


def time_recipe(arg: str, batches: int) -> dict:
  config = pretrain_config.get_config(arg)
  with config.unlocked():
    config.data.pool_rollouts = 2
  pool = pretrain_clip.FramePool(config.data, config.seed, config.image_size)
  tokens = pretrain_clip.CaptionTokens(pool.captions, config.max_text_length, config.caption_tokens)
  rng = np.random.default_rng(0)
  weights = dict(config.data.kind_weights)

  def batch():
    return pretrain_clip.make_batch(
      pool, tokens, rng, config.batch_size, config.data.relations, weights
    )

  for _ in range(20):
    batch()
  host = []
  for _ in range(batches):
    t0 = time.perf_counter()
    out = batch()
    host.append(time.perf_counter() - t0)

  model, params = pretrain_clip.initial_model(config)
  optimizer = pretrain.make_optimizer(1e-3, 10, 1000, 0.1)
  step = pretrain.make_train_step(model, optimizer)
  state = pretrain.create_train_state(params, optimizer)
  device_batch = jax.device_put(out)
  state, metrics = step(state, device_batch)
  jax.block_until_ready(metrics)
  steps = []
  for _ in range(max(3, batches // 10)):
    t0 = time.perf_counter()
    state, metrics = step(state, device_batch)
    jax.block_until_ready(metrics)
    steps.append(time.perf_counter() - t0)
  host_ms, step_ms = 1e3 * statistics.median(host), 1e3 * statistics.median(steps)
  return {
    "batch_size": config.batch_size,
    "texts_per_batch": int(out["input_ids"].shape[0]),
    "host_ms_per_batch": round(host_ms, 2),
    "step_ms": round(step_ms, 2),
    "host_over_step": round(host_ms / step_ms, 3),
    "steps_per_s_bound": round(1e3 / max(host_ms, step_ms), 1),
  }


def main() -> None:
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--recipes", nargs="+", default=["S,relations", "S,launcher"])
  p.add_argument("--batches", type=int, default=50)
  p.add_argument("--out", default=None)
  args = p.parse_args()
  result = {
    "machine": {"platform": platform.platform(), "device": str(jax.devices()[0])},
    "recipes": {arg: time_recipe(arg, args.batches) for arg in args.recipes},
  }
  text = json.dumps(result, indent=2)
  print(text)
  if args.out:
    pathlib.Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
  main()
