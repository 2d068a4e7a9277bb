"""Contrastive pretraining of small `transformers.FlaxCLIPModel`s on captioned frames.

Generic: it consumes batches of uint8 frames [B,H,W,3] with caption token ids, and knows
nothing about where they come from (no environment code here). The loss is CLIP's symmetric
InfoNCE with the model's learned logit scale (clipped); an optional boolean `match` matrix
[B,B] (caption j also describes frame i) turns it into a multi-positive loss, so duplicate
or overlapping captions in a batch are not pushed apart. A batch may carry more texts than
frames (hard negatives: `contrastive_loss`).

Public API:
  PRESETS, ClipSize, make_clip_config(size), init_model(config, seed) -> (model, params)
  load_tokenizer(max_length), tokenize(tokenizer, captions, max_length)
  frames_to_pixels(frames), clip_loss(...), make_optimizer(...)
  TrainState, create_train_state(...), make_train_step(model, optimizer, mesh)
  replicate(tree, mesh), split_batch(batch, mesh)
  train(...), save_model(model, params, out_dir)

Data parallel over a `Mesh` with one axis "data" (every device of every process): the state
is replicated, each batch's leading axis split over the devices, and the loss is the one of
the global batch (XLA gathers the embeddings for the [B, B] logits), so any number of devices
or processes computes the single-device step.

Checkpointing is the caller's (`experiments.pretrain_clip` resumes and saves through
`train`'s `state` and `on_step`).
"""

from __future__ import annotations

import dataclasses
import json
import math
import pathlib
import shutil
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import tqdm
import transformers
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from vlm_rewards.clip import ASSETS, TOKENIZER_DIR
from vlm_rewards.preprocess import CLIP_MEAN, CLIP_STD

TOKENIZER_FILES = ("vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json")


@dataclasses.dataclass(frozen=True)
class ClipSize:
  """Widths and depths of both towers; the vision tower sees `image_size` pixels directly."""

  vision_width: int
  vision_layers: int
  vision_heads: int
  patch_size: int
  text_width: int
  text_layers: int
  text_heads: int
  projection_dim: int
  mlp_ratio: int = 4


# Image-tower speed at batch 256 on the 2-core machine drives these: S must embed >= 2,000
# frames/s (benchmarks/clip_sizes.py; the bundled model card has the figures). Patch 16 on a
# 64x64 frame gives a 4x4 grid (17 tokens), four times fewer than patch 8, which is what buys
# width and depth at this speed. The token-embedding table (49,408 x text_width) dominates the
# file size, so the text tower stays narrow.
# XXS is the smallest point of the web family's size curve (studies/web_clip): a 39k-parameter
# image tower, 43x below M.
PRESETS: Mapping[str, ClipSize] = {
  "XXS": ClipSize(32, 1, 2, 16, 32, 1, 2, 32),
  "XS": ClipSize(64, 2, 2, 16, 32, 1, 2, 64),
  "S": ClipSize(128, 4, 4, 16, 64, 2, 2, 64),
  "M": ClipSize(160, 5, 5, 16, 96, 2, 3, 96),
  "L": ClipSize(192, 6, 6, 16, 128, 3, 4, 128),
}


def make_clip_config(
  size: str | ClipSize, image_size: int = 64, max_text_length: int = 32
) -> transformers.CLIPConfig:
  """A CLIPConfig for a preset name or an explicit `ClipSize`."""
  s = PRESETS[size] if isinstance(size, str) else size
  text = dict(
    vocab_size=49408,
    hidden_size=s.text_width,
    intermediate_size=s.mlp_ratio * s.text_width,
    num_hidden_layers=s.text_layers,
    num_attention_heads=s.text_heads,
    max_position_embeddings=max_text_length,
    projection_dim=s.projection_dim,
    bos_token_id=49406,
    eos_token_id=49407,
    pad_token_id=49407,
  )
  vision = dict(
    hidden_size=s.vision_width,
    intermediate_size=s.mlp_ratio * s.vision_width,
    num_hidden_layers=s.vision_layers,
    num_attention_heads=s.vision_heads,
    image_size=image_size,
    patch_size=s.patch_size,
    projection_dim=s.projection_dim,
  )
  return transformers.CLIPConfig(
    text_config=text, vision_config=vision, projection_dim=s.projection_dim
  )


def init_model(config: transformers.CLIPConfig, seed: int = 0):
  """A FlaxCLIPModel (float32) and fresh parameters, deterministic in `seed`.

  The parameters live outside the model (`_do_init=False`) and are initialised by one jitted
  call; transformers' default initialises them op by op, ten times slower on the CPU.
  """
  model = transformers.FlaxCLIPModel(config, dtype=jnp.float32, _do_init=False)
  params = jax.jit(model.init_weights, static_argnums=1)(
    jax.random.PRNGKey(seed), model.input_shape
  )
  return model, params


def load_tokenizer(max_length: int, path: str | pathlib.Path = TOKENIZER_DIR):
  """The project's CLIP BPE tokenizer, truncating/padding to `max_length`."""
  return transformers.CLIPTokenizerFast.from_pretrained(str(path), model_max_length=max_length)


def tokenize(tokenizer, captions: list[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
  """Token ids and attention mask, both int32 [N, max_length]."""
  out = tokenizer(
    list(captions),
    padding="max_length",
    truncation=True,
    max_length=max_length,
    return_tensors="np",
  )
  return out["input_ids"].astype(np.int32), out["attention_mask"].astype(np.int32)


def frames_to_pixels(frames: jax.Array) -> jax.Array:
  """uint8 frames [B,H,W,3] at the model's resolution -> CLIP pixel tensor [B,3,H,W].

  Same arithmetic as CLIPImageProcessor at equal size (rescale 1/255, CLIP mean/std), which is
  what `save_model` writes as the preprocessing config.
  """
  x = frames.astype(jnp.float32) / 255.0
  x = (x - jnp.asarray(CLIP_MEAN)) / jnp.asarray(CLIP_STD)
  return jnp.transpose(x, (0, 3, 1, 2))


def _soft_cross_entropy(logits: jax.Array, match: jax.Array) -> jax.Array:
  targets = match / jnp.sum(match, axis=-1, keepdims=True)
  return jnp.mean(optax.softmax_cross_entropy(logits, targets))


def contrastive_loss(
  image_embeds: jax.Array,
  text_embeds: jax.Array,
  logit_scale: jax.Array,
  match: jax.Array | None = None,
  max_logit_scale: float = 100.0,
) -> tuple[jax.Array, dict[str, jax.Array]]:
  """Symmetric InfoNCE over L2-normalised embeddings; `match[i, j]`: text j fits image i.

  Images [B,D] and texts [B+H,D]: text i is image i's caption; the H extra texts (hard
  negatives) only compete in the image-to-text direction, where `match` [B,B+H] says which
  of them also fit an image."""
  scale = jnp.exp(jnp.minimum(logit_scale, math.log(max_logit_scale)))
  logits = scale * image_embeds @ text_embeds.T  # [images, texts]
  b = logits.shape[0]
  if match is None:
    match = jnp.eye(b, logits.shape[1], dtype=bool)
  match = match.astype(jnp.float32)
  loss_i = _soft_cross_entropy(logits, match)
  loss_t = _soft_cross_entropy(logits[:, :b].T, match[:, :b].T)
  correct = jnp.take_along_axis(match, jnp.argmax(logits, axis=-1)[:, None], axis=-1)
  metrics = {"loss": 0.5 * (loss_i + loss_t), "accuracy": jnp.mean(correct), "logit_scale": scale}
  return metrics["loss"], metrics


def clip_loss(params, model: transformers.FlaxCLIPModel, batch: Mapping[str, jax.Array], **kw):
  """Loss of `params` on a batch with frames, input_ids, attention_mask and optional match."""
  out = model(
    input_ids=batch["input_ids"],
    pixel_values=frames_to_pixels(batch["frames"]),
    attention_mask=batch["attention_mask"],
    params=params,
  )
  logit_scale = params["logit_scale"]
  return contrastive_loss(out.image_embeds, out.text_embeds, logit_scale, batch.get("match"), **kw)


def make_optimizer(
  learning_rate: float, warmup_steps: int, total_steps: int, weight_decay: float = 0.1
) -> optax.GradientTransformation:
  """AdamW with linear warmup and cosine decay; no decay on biases, norms and the logit scale."""
  schedule = optax.warmup_cosine_decay_schedule(
    0.0, learning_rate, max(warmup_steps, 1), max(total_steps, warmup_steps + 1), 0.0
  )
  decay_mask = lambda params: jax.tree.map(lambda p: p.ndim >= 2, params)
  return optax.chain(
    optax.clip_by_global_norm(1.0),
    optax.adamw(schedule, b1=0.9, b2=0.98, weight_decay=weight_decay, mask=decay_mask),
  )


class TrainState(NamedTuple):
  step: jax.Array
  params: Any
  opt_state: Any


def create_train_state(params, optimizer: optax.GradientTransformation) -> TrainState:
  """Step 0; the params are copied, since the train step donates its state."""
  params = jax.tree.map(jnp.array, params)
  return TrainState(jnp.zeros((), jnp.int32), params, optimizer.init(params))


def _with_logit_scale(params, value: jax.Array):
  if hasattr(params, "copy") and not isinstance(params, dict):  # a flax FrozenDict
    return params.copy({"logit_scale": value})
  return {**params, "logit_scale": value}


def replicate(tree, mesh: Mesh):
  """A copy of `tree` on every device of `mesh`, from host memory (no cross-host transfer)."""
  return jax.device_put(jax.device_get(tree), NamedSharding(mesh, PartitionSpec()))


def split_batch(batch: Mapping[str, np.ndarray], mesh: Mesh) -> dict[str, jax.Array]:
  """A host batch, the same on every process, as global arrays split along the leading axis;
  each process places only the rows of its own devices."""
  sharding = NamedSharding(mesh, PartitionSpec("data"))
  return {
    k: jax.make_array_from_callback(v.shape, sharding, lambda index, v=v: v[index])
    for k, v in batch.items()
  }


def make_train_step(
  model: transformers.FlaxCLIPModel,
  optimizer: optax.GradientTransformation,
  max_logit_scale: float = 100.0,
  mesh: Mesh | None = None,
) -> Callable[[TrainState, Mapping[str, jax.Array]], tuple[TrainState, dict]]:
  """A jitted `(state, batch) -> (state, metrics)`; the state is donated. With `mesh`, the
  state and metrics stay replicated on its devices (the batch comes from `split_batch`)."""

  def step(state: TrainState, batch):
    grad_fn = jax.value_and_grad(clip_loss, has_aux=True)
    (_, metrics), grads = grad_fn(state.params, model, batch, max_logit_scale=max_logit_scale)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    # Keep the stored scale where the loss clips it, so the saved temperature is the used one.
    params = _with_logit_scale(
      params, jnp.minimum(params["logit_scale"], math.log(max_logit_scale))
    )
    metrics["grad_norm"] = optax.tree.norm(grads)
    return TrainState(state.step + 1, params, opt_state), metrics

  if mesh is None:
    return jax.jit(step, donate_argnums=0)
  return jax.jit(step, donate_argnums=0, out_shardings=NamedSharding(mesh, PartitionSpec()))


def train(
  model: transformers.FlaxCLIPModel,
  batches: Iterable[Mapping[str, np.ndarray]],
  optimizer: optax.GradientTransformation,
  num_steps: int,
  state: TrainState,
  log_every: int = 50,
  log_fn: Callable[[int, dict], None] | None = None,
  on_step: Callable[[int, TrainState], None] | None = None,
  mesh: Mesh | None = None,
  should_stop: Callable[[], bool] | None = None,
) -> tuple[TrainState, list[dict]]:
  """Trains from `state` (`create_train_state(params, optimizer)` for step 0) up to step
  `num_steps`.

  `log_fn(step, row)` gets every `log_every`-th row of metrics (and the last);
  `on_step(step, state)` runs after every step, e.g. to save a checkpoint; the loop ends early
  after the first step at which `should_stop()` is true (e.g. on SIGTERM). Batches are
  taken from `batches` from its start, whatever step `state` is at. With `mesh`, data
  parallel over its devices (every process of a multi-process run calls this alike); `state`
  must then be on the mesh already (`replicate(state, mesh)`).
  """
  step_fn = make_train_step(model, optimizer, mesh=mesh)
  history = []
  start = int(state.step)
  batch_iter = iter(batches)
  quiet = jax.process_index() != 0
  with tqdm.trange(start, num_steps, desc="pretrain", dynamic_ncols=True, disable=quiet) as bar:
    for i in bar:
      batch = next(batch_iter)
      state, metrics = step_fn(state, batch if mesh is None else split_batch(batch, mesh))
      if (i + 1) % log_every == 0 or i + 1 == num_steps:
        row = {"step": i + 1, **{k: float(v) for k, v in metrics.items()}}
        history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.3f}", acc=f"{row['accuracy']:.2f}")
        if log_fn is not None:
          log_fn(i + 1, row)
      if on_step is not None:
        on_step(i + 1, state)
      if should_stop is not None and should_stop():
        break
  return state, history


def _copy_tokenizer(tokenizer_dir, out: pathlib.Path, max_length: int) -> None:
  for name in TOKENIZER_FILES:
    shutil.copyfile(pathlib.Path(tokenizer_dir) / name, out / name)
  tok_config = json.loads((out / "tokenizer_config.json").read_text())
  tok_config["model_max_length"] = max_length
  (out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2) + "\n")


def save_model(
  model: transformers.FlaxCLIPModel,
  params,
  out_dir: str | pathlib.Path,
  tokenizer_dir: str | pathlib.Path = TOKENIZER_DIR,
  squash: bool = False,
) -> pathlib.Path:
  """A Hugging Face folder: config, Flax weights, tokenizer files, preprocessor config.

  The preprocessing is CLIP's (shortest side to the model's size, centre crop), or with
  `squash` a resize of the whole frame to the model's square (no crop: a portrait phone
  screen keeps its status bar and dock).

  A folder outside the package gets its own tokenizer files, so that it is a self-contained
  Hugging Face model. A folder inside the package's assets (a bundled model) gets none: the
  package keeps one tokenizer copy, `TOKENIZER_DIR`, which `load_clip` reads for folders
  without their own.
  """
  out = pathlib.Path(out_dir)
  out.mkdir(parents=True, exist_ok=True)
  model.save_pretrained(str(out), params=jax.device_get(params))
  if not out.resolve().is_relative_to(ASSETS):
    _copy_tokenizer(tokenizer_dir, out, model.config.text_config.max_position_embeddings)
  size = model.config.vision_config.image_size
  processor = transformers.CLIPImageProcessor(
    size={"height": size, "width": size} if squash else {"shortest_edge": size},
    do_center_crop=not squash,
    crop_size={"height": size, "width": size},
    image_mean=list(CLIP_MEAN),
    image_std=list(CLIP_STD),
  )
  processor.save_pretrained(str(out))
  return out
