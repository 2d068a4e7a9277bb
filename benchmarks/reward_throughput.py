"""Throughput of the CLIP reward (frames/s) in JAX against transformers' PyTorch CLIP.

For each model, batch size and dtype, one process times, interleaved repeat by repeat:

* jax: ``jax.jit(RewardModel.reward_fn)`` on uint8 frames [B, S, S, 3] (preprocessing, the
  image tower, Eq. 1 and Eq. 2 included), ``block_until_ready``;
* torch: ``CLIPModel.get_image_features`` on the same frames already preprocessed (float32
  NCHW), under ``torch.inference_mode()``; bf16 via ``torch.autocast(device, torch.bfloat16)``.
  ``--torch_device cuda`` runs PyTorch on the GPU (JAX runs on its default backend), so that
  both frameworks are compared on the same card.

Both hold the same weights (random, or ``--model PATH``). Warm-up calls are excluded and the
median of the repeats is reported, with the JAX/torch ratio, the achieved GFLOP/s of the
image tower (FLOPs counted analytically) and, measured in the same run, the GFLOP/s of a
2048 x 2048 matmul in each framework. Prints JSON; ``--out
benchmarks/results/reward_throughput.json`` stores it (entries of earlier runs with other keys are
kept, so batch sizes can be measured in separate invocations).

  python benchmarks/reward_throughput.py --quick
  python benchmarks/reward_throughput.py --models vit_b32 --batches 256 --dtypes float32
"""

import argparse
import dataclasses
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import torch
import transformers
from transformers import modeling_flax_pytorch_utils as pt_utils

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from vlm_rewards import clip as clip_lib  # noqa: E402
from vlm_rewards.preprocess import default_config, preprocess  # noqa: E402
from vlm_rewards.reward_model import RewardModel  # noqa: E402

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "reward_throughput.json"
TINY_TEXT = dict(
  hidden_size=32,
  intermediate_size=64,
  num_hidden_layers=1,
  num_attention_heads=2,
  max_position_embeddings=77,
)
VISION = {
  # ViT-B/32 image tower (the real model's FLOPs); the text tower is tiny, it never runs per step.
  "vit_b32": dict(
    hidden_size=768,
    intermediate_size=3072,
    num_hidden_layers=12,
    num_attention_heads=12,
    image_size=224,
    patch_size=32,
  ),
  "tiny": dict(
    hidden_size=128,
    intermediate_size=512,
    num_hidden_layers=4,
    num_attention_heads=4,
    image_size=64,
    patch_size=8,
  ),
}
PROJECTION = {"vit_b32": 512, "tiny": 64}
GOALS = tuple(f"goal number {i}" for i in range(16))


def random_clip(name: str, seed: int = 0) -> clip_lib.CLIP:
  """A CLIP with random weights and the vision tower ``VISION[name]``."""
  config = transformers.CLIPConfig(
    text_config=TINY_TEXT, vision_config=VISION[name], projection_dim=PROJECTION[name]
  )
  model = transformers.FlaxCLIPModel(config, _do_init=False)
  init = jax.jit(model.init_weights, static_argnums=1)
  params = init(jax.random.PRNGKey(seed), model.input_shape)
  tokenizer = transformers.CLIPTokenizer.from_pretrained(str(clip_lib.TOKENIZER_DIR))
  return clip_lib.CLIP(
    name,
    config,
    jax.tree.map(jnp.asarray, params),
    tokenizer,
    default_config(config.vision_config.image_size),
  )


def torch_copy(clip: clip_lib.CLIP) -> transformers.CLIPModel:
  """transformers' PyTorch CLIPModel holding the same weights."""
  model = transformers.CLIPModel(clip.config).eval()
  numpy_params = jax.tree.map(lambda x: np.array(x, np.float32), clip.params)
  return pt_utils.load_flax_weights_in_pytorch_model(model, numpy_params).eval()


def vision_flops(config: transformers.CLIPConfig) -> float:
  """Multiply-add FLOPs (2 per MAC) of one image through the vision tower and projection."""
  v = config.vision_config
  d, m, patch = v.hidden_size, v.intermediate_size, v.patch_size
  patches = (v.image_size // patch) ** 2
  tokens = patches + 1
  per_layer = 2 * tokens * d * 4 * d + 2 * 2 * tokens * tokens * d + 2 * 2 * tokens * d * m
  return float(
    2 * patches * 3 * patch * patch * d
    + v.num_hidden_layers * per_layer
    + 2 * d * config.projection_dim
  )


def _time(fn, repeats: int) -> list[float]:
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return times


def _interleaved(fns: dict, warmup: int, repeats: int) -> dict[str, float]:
  """Median seconds per call of each function, timed alternately, after warm-up calls."""
  for fn in fns.values():
    _time(fn, warmup)
  times = {name: [] for name in fns}
  for _ in range(repeats):
    for name, fn in fns.items():
      times[name] += _time(fn, 1)
  return {name: statistics.median(t) for name, t in times.items()}


def _sync(device: str) -> None:
  if device.startswith("cuda"):
    torch.cuda.synchronize()


def matmul_gflops(n: int, warmup: int, repeats: int, device: str = "cpu") -> dict:
  """GFLOP/s of an n x n matmul in JAX and torch, fp32 and bf16, interleaved."""
  out = {}
  for dtype, torch_dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
    a = jax.random.normal(jax.random.PRNGKey(0), (n, n), jnp.dtype(dtype))
    ta = torch.randn(n, n, dtype=torch_dtype, device=device)
    dot = jax.jit(jnp.dot)
    fns = {
      "jax": lambda a=a, dot=dot: dot(a, a).block_until_ready(),
      "torch": lambda ta=ta: (torch.mm(ta, ta), _sync(device)),
    }
    with torch.inference_mode():
      secs = _interleaved(fns, warmup, repeats)
    out[dtype] = {k: 2 * n**3 / s / 1e9 for k, s in secs.items()}
  return out


def bench_case(
  clip: clip_lib.CLIP,
  torch_model,
  batch: int,
  dtype: str,
  warmup: int,
  repeats: int,
  device: str = "cpu",
) -> dict:
  """Times one (model, batch, dtype) case in both frameworks; returns its JSON entry."""
  clip = dataclasses.replace(clip, dtype=jnp.dtype(dtype))
  model = RewardModel(clip, GOALS, num_negatives=8, temperature=0.01, threshold=0.5)
  size = clip.image_size
  frames = jax.random.randint(
    jax.random.PRNGKey(batch), (batch, size, size, 3), 0, 256, jnp.int32
  ).astype(jnp.uint8)
  goal_ids = jnp.arange(batch, dtype=jnp.int32) % len(GOALS)
  reward_fn = jax.jit(model.reward_fn)
  params = model.params
  pixels = np.asarray(jax.jit(preprocess, static_argnums=1)(frames, clip.preprocess_config))
  pixels = torch.from_numpy(pixels.transpose(0, 3, 1, 2).copy()).to(device)
  autocast = torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=dtype == "bfloat16")

  def run_torch():
    with torch.inference_mode(), autocast:
      out = torch_model.get_image_features(pixel_values=pixels)
    _sync(device)
    return out

  fns = {
    "jax": lambda: jax.block_until_ready(reward_fn(params, frames, goal_ids)),
    "torch": run_torch,
  }
  secs = _interleaved(fns, warmup, repeats)
  flops = vision_flops(clip.config) * batch
  entry = {"model": clip.name, "batch": batch, "dtype": dtype, "repeats": repeats}
  for name, s in secs.items():
    entry[f"{name}_frames_per_s"] = batch / s
    entry[f"{name}_gflops_per_s"] = flops / s / 1e9
  entry["ratio_jax_over_torch"] = secs["torch"] / secs["jax"]
  return entry


def check_agreement(clip: clip_lib.CLIP, torch_model) -> float:
  """Minimum cosine between JAX and torch fp32 image embeddings of 4 random frames."""
  size = clip.image_size
  frames = np.random.default_rng(0).integers(0, 256, (4, size, size, 3), dtype=np.uint8)
  ours = np.asarray(clip.embed_images(frames), np.float64)
  pixels = np.asarray(preprocess(jnp.asarray(frames), clip.preprocess_config))
  with torch.inference_mode():
    theirs = (
      torch_model.get_image_features(
        pixel_values=torch.from_numpy(pixels.transpose(0, 3, 1, 2).copy()).to(
          next(torch_model.parameters()).device
        )
      )
      .double()
      .cpu()
      .numpy()
    )
  theirs /= np.linalg.norm(theirs, axis=-1, keepdims=True)
  return float(np.min(np.sum(ours * theirs, -1)))


def _merge(entries: list[dict], meta: dict, path: pathlib.Path) -> dict:
  """Adds this run's entries to the results file, replacing same (model, batch, dtype)."""
  old = json.loads(path.read_text()) if path.is_file() else {"entries": []}
  key = lambda e: (e["model"], e["batch"], e["dtype"])
  new_keys = {key(e) for e in entries}
  kept = [e for e in old.get("entries", []) if key(e) not in new_keys]
  data = {"entries": sorted(kept + entries, key=key), "last_run": meta}
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text(json.dumps(data, indent=2))
  return data


def parse_args(argv=None) -> argparse.Namespace:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument(
    "--models", default="vit_b32,tiny", help="comma-separated random models: " + ", ".join(VISION)
  )
  parser.add_argument(
    "--model",
    action="append",
    default=[],
    metavar="PATH",
    help="also benchmark a CLIP folder (or 'bundled'); repeatable",
  )
  parser.add_argument("--batches", default="32,256")
  parser.add_argument("--dtypes", default="float32,bfloat16")
  parser.add_argument("--repeats", type=int, default=5)
  parser.add_argument("--warmup", type=int, default=1)
  parser.add_argument("--quick", action="store_true", help="2 repeats, batch 32 only")
  parser.add_argument(
    "--threads",
    type=int,
    default=os.cpu_count(),
    help="torch intra-op threads (XLA uses one thread per core)",
  )
  parser.add_argument(
    "--torch_device", default="cpu", help="where PyTorch runs: cpu, or cuda on a GPU machine"
  )
  parser.add_argument(
    "--out",
    type=pathlib.Path,
    default=None,
    help=f"results JSON to update, e.g. {RESULTS.relative_to(RESULTS.parents[2])} (default: "
    "print only, so that a trial run never rewrites the tracked figures)",
  )
  args = parser.parse_args(argv)
  if args.quick:
    args.repeats, args.batches = 2, "32"
  return args


def main(argv=None) -> dict:
  args = parse_args(argv)
  torch.set_num_threads(args.threads)
  meta = {
    "jax": jax.__version__,
    "torch": torch.__version__,
    "cpu_count": os.cpu_count(),
    "torch_threads": torch.get_num_threads(),
    "machine": platform.machine(),
    "jax_device": jax.devices()[0].device_kind,
    "torch_device": args.torch_device,
    "xla_flags": os.environ.get("XLA_FLAGS", ""),
    "argv": sys.argv[1:],
    "matmul_2048_gflops_per_s": matmul_gflops(
      2048, args.warmup, max(args.repeats, 3), args.torch_device
    ),
  }
  clips = [random_clip(name) for name in args.models.split(",") if name]
  clips += [clip_lib.load_clip(path) for path in args.model]
  entries = []
  for clip in clips:
    torch_model = torch_copy(clip).to(args.torch_device)
    meta.setdefault("embedding_cosine_min", {})[clip.name] = check_agreement(clip, torch_model)
    for batch in (int(b) for b in args.batches.split(",")):
      for dtype in args.dtypes.split(","):
        entry = bench_case(
          clip, torch_model, batch, dtype, args.warmup, args.repeats, args.torch_device
        )
        entry["matmul_2048_gflops_per_s"] = meta["matmul_2048_gflops_per_s"]
        entries.append(entry)
        print(json.dumps(entry), file=sys.stderr, flush=True)
  print(json.dumps({"entries": entries, "run": meta}, indent=2))
  return _merge(entries, meta, args.out) if args.out else None


if __name__ == "__main__":
  main()
