"""Pretrains one small CLIP on captioned Playhouse frames and saves it in the HF format.

  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:S

Frames come from jitted rollouts (`experiments.pretraining.clip_data`) into a pool in host memory;
one rollout's worth of the pool is replaced every `data.refresh_every` steps, so the data keeps
changing during training. Each batch draws frames without replacement, one true caption per
frame (never a held-out composition), and the multi-positive `match` matrix of the loss.
The workdir gets metrics.jsonl, orbax checkpoints, `model/` and `summary.json`. SIGTERM or
Ctrl-C checkpoints the step in flight and exits with 128 + signal; the same command with
--resume continues from the latest checkpoint. The workdir (`--workdir`, or the config's) is
guarded as training's is (`experiments.run_io.Workdir`): a second run into it is refused
unless --resume (the config must match but for `RESUMABLE_KEYS`) or --restart (the old run
is moved aside); a finished run is never rewritten. On the corpus the batches continue where
the checkpoint left them; the environments' rollout pools start again from the seed, so there
a resumed run is an equivalent run, not the identical one.

Data parallel over every device; multi-process like `experiments.train` (the flags of
`experiments.distributed`, or `python -m experiments.launch_local ... experiments.pretrain_clip
...`). Every process builds the same batches from the seed (the frame pool is replicated, not
split) and feeds its devices' rows; process 0 writes the metrics, the model and the summary.
"""

import dataclasses
import functools
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import transformers
from absl import app
from jax.sharding import Mesh

from envs.playhouse import Playhouse, PlayhouseConfig
from experiments import distributed, flags_lib, paths, run_io
from experiments.pretraining import clip_data, launcher_data
from experiments.run_io import Checkpointer, MetricsLogger
from vlm_rewards import clip, corpus, pretrain


def make_envs() -> tuple[Playhouse, Playhouse]:
  """(benchmark default house, the main job's one-room house)."""
  return Playhouse(PlayhouseConfig()), Playhouse(PlayhouseConfig(**clip_data.SMALL_HOUSE))


def _pad_facts(facts: np.ndarray, width: int) -> np.ndarray:
  return np.pad(facts, ((0, 0), (0, width - facts.shape[1])), constant_values=-1)


def _playhouse_rollouts(data: ml_collections.ConfigDict, image_size: int):
  """Jitted rollouts of the two houses (frames at the model's 64 x 64) and the fact width."""
  if image_size != 64:
    raise ValueError(f"Bad config: Playhouse frames are 64 x 64, got image_size={image_size}.")
  envs = make_envs()
  relations = data.get("relations", False)
  weights = data.get("family_weights", None)
  families = envs[0].config.families
  if weights and (len(weights) != len(families) or min(weights) < 0 or max(weights) <= 0):
    raise ValueError(
      f"Bad config: data.family_weights={tuple(weights)} must be {len(families)} non-negative "
      f"weights, not all zero, one per goal family {families} (or () for uniform)."
    )
  rcfg = clip_data.RolloutConfig(
    data.num_envs,
    data.episode_steps,
    data.oracle_fraction,
    data.epsilon,
    relations,
    tuple(weights) if weights else None,
  )
  width = clip_data.num_state_facts(envs[0].config.num_objects, relations)
  return [jax.jit(clip_data.make_rollout(env, rcfg)) for env in envs], width


def _launcher_rollouts(data: ml_collections.ConfigDict, image_size: int):
  if data.get("relations", False):
    raise ValueError("Bad config: data.relations is for the Playhouse; set it False.")
  rcfg = launcher_data.RolloutConfig(
    data.num_envs, data.episode_steps, data.oracle_fraction, data.epsilon, image_size=image_size
  )
  return [
    jax.jit(launcher_data.make_rollout(launcher_data.launcher_env(), rcfg))
  ], launcher_data.WIDTH


# data.domain -> (caption module, rollout builder)
DOMAINS = {
  "playhouse": (clip_data, _playhouse_rollouts),
  "launcher": (launcher_data, _launcher_rollouts),
}


class FramePool:
  """Frames and fact keys in host memory, refreshed one rollout at a time (round robin).

  `data.domain` picks the frames: "playhouse" (two houses; `data.small_house_fraction` of the
  rollouts in the main job's one-room house) or "launcher" (phone screens squashed to the
  model's square input)."""

  def __init__(self, data: ml_collections.ConfigDict, seed: int, image_size: int = 64):
    if data.domain not in DOMAINS:
      raise ValueError(
        f"Bad config: data.domain must be one of {sorted([*DOMAINS, 'corpus'])}, "
        f"got {data.domain!r}."
      )
    self.captions, make_rollouts = DOMAINS[data.domain]
    self.rollouts, self.width = make_rollouts(data, image_size)
    self.chunk = data.num_envs * data.episode_steps
    self.small_fraction = data.get("small_house_fraction", 0.0)
    self.key = jax.random.key(seed)
    self.count = 0
    parts = [self._rollout() for _ in range(data.pool_rollouts)]
    self.frames = np.concatenate([p[0] for p in parts])
    self.facts = np.concatenate([p[1] for p in parts])

  def _rollout(self) -> tuple[np.ndarray, np.ndarray]:
    self.key, k_env, k_roll = jax.random.split(self.key, 3)
    which = int(len(self.rollouts) > 1 and bool(jax.random.uniform(k_env) < self.small_fraction))
    out = self.rollouts[which](k_roll)
    frames = np.asarray(out["frames"]).reshape(self.chunk, *out["frames"].shape[-3:])
    facts = np.asarray(out["facts"]).reshape(self.chunk, -1)
    return frames, _pad_facts(facts, self.width)

  def refresh(self) -> None:
    """Replaces the oldest rollout's frames with a new rollout."""
    start = (self.count % (len(self.frames) // self.chunk)) * self.chunk
    self.frames[start : start + self.chunk], self.facts[start : start + self.chunk] = (
      self._rollout()
    )
    self.count += 1


class CaptionTokens:
  """Token ids of the caption of (fact key, wording) pairs, each distinct caption tokenised
  once (`captions`: the caption module, `clip_data` or `launcher_data`)."""

  def __init__(self, captions, max_text_length: int, caption_tokens: int):
    self.captions = captions
    self.tokenizer = pretrain.load_tokenizer(max_text_length)
    self.length = caption_tokens
    self.wordings = np.asarray([len(captions.TEMPLATES[k]) for k in captions.KINDS])
    self.row: dict[tuple[int, int], int] = {}  # (key, wording modulo its kind's) -> row
    self.ids = np.zeros((0, caption_tokens), np.int32)
    self.mask = np.zeros((0, caption_tokens), np.int32)

  def __call__(self, keys: np.ndarray, wording: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    wording = wording % self.wordings[self.captions.fact_kind(keys)]
    pairs = list(zip(keys.tolist(), wording.tolist(), strict=True))
    missing = sorted(set(pairs) - self.row.keys())
    if missing:
      texts = [self.captions.caption(k, w) for k, w in missing]
      ids, mask = pretrain.tokenize(self.tokenizer, texts, self.length)
      assert mask[:, -1].max() == 0, "caption_tokens too small: captions were truncated"
      self.row.update({pair: len(self.ids) + i for i, pair in enumerate(missing)})
      self.ids = np.concatenate([self.ids, ids])
      self.mask = np.concatenate([self.mask, mask])
    rows = np.fromiter((self.row[p] for p in pairs), np.int64, len(pairs))
    return self.ids[rows], self.mask[rows]


def make_batch(
  pool: FramePool,
  tokens: CaptionTokens,
  rng: np.random.Generator,
  size: int,
  hard_negatives: bool = False,
  kind_weights: Mapping[str, float] | None = None,
  identity_negatives: float = 0.0,
):
  """One training batch: frames, a sampled caption per frame, and the match matrix. With
  `hard_negatives`, `size` more texts: each caption's counterfactual
  (`clip_data.hard_negatives`; the caption itself again where it has none), so `match` is
  [size, 2 * size]; `identity_negatives` of the pair captions get one object swapped instead.
  `kind_weights` replaces the caption module's weights of those fact kinds."""
  idx = np.sort(rng.choice(len(pool.frames), size, replace=False))
  facts = pool.facts[idx]
  chosen = pool.captions.sample_facts(rng, facts, kind_weights)
  wording = rng.integers(0, 1 << 16, size)
  if hard_negatives:
    hard = pool.captions.hard_negatives(rng, facts, chosen, identity_negatives)
    chosen = np.concatenate([chosen, np.where(hard >= 0, hard, chosen)])
    wording = np.concatenate([wording, wording])
  ids, mask = tokens(chosen, wording)
  return {
    "frames": pool.frames[idx],
    "input_ids": ids,
    "attention_mask": mask,
    "match": clip_data.match_matrix(facts, chosen),
  }


def corpus_batches(config: ml_collections.ConfigDict, start: int = 0) -> Iterator[dict]:
  """Endless batches of the web stand-in corpus (`data.domain` "corpus") from batch `start`,
  deterministic in `config.seed`; captions are tokenised to the text tower's
  `max_text_length`."""
  c = config.data.corpus
  corpus_config = corpus.CorpusConfig(
    image_size=config.image_size,
    num_concepts=c.num_concepts or None,
    caption_noise=c.caption_noise,
    wrong_colour_rate=c.wrong_colour_rate,
    unrelated_rate=c.unrelated_rate,
  )
  return corpus.tokenized_batches(
    corpus_config, config.seed, config.batch_size, config.max_text_length, start=start
  )


def caption_batches(config: ml_collections.ConfigDict, start: int = 0) -> Iterator[dict]:
  """Endless training batches, deterministic in `config.seed`. The corpus stream continues at
  batch `start` (a resumed run sees the batches an uninterrupted one would); the rollout
  pools of the environments start again from the seed."""
  if config.data.domain == "corpus":
    return corpus_batches(config, start)
  return _env_caption_batches(config)


def _env_caption_batches(config: ml_collections.ConfigDict) -> Iterator[dict]:
  weights = dict(config.data.get("kind_weights", {}))
  if config.data.domain in DOMAINS:  # a bad weight fails before the (slow) frame pool
    clip_data.kind_weight_table(weights, DOMAINS[config.data.domain][0].KIND_WEIGHTS)
  identity = config.data.get("identity_negatives", 0.0)
  if not 0.0 <= identity <= 1.0:
    raise ValueError(
      f"Bad config: data.identity_negatives={identity} is the share of pair captions whose "
      "hard negative swaps an object; give a number in [0, 1]."
    )
  pool = FramePool(config.data, config.seed, config.image_size)
  tokens = CaptionTokens(pool.captions, config.max_text_length, config.caption_tokens)
  rng = np.random.default_rng(config.seed)
  step = 0
  while True:
    yield make_batch(
      pool, tokens, rng, config.batch_size, config.data.get("relations", False), weights, identity
    )
    step += 1
    if step % config.data.refresh_every == 0:
      pool.refresh()


def train_with_checkpoints(
  model: transformers.FlaxCLIPModel,
  params,
  batches: Iterable[Mapping[str, np.ndarray]],
  optimizer: optax.GradientTransformation,
  num_steps: int,
  workdir: str | os.PathLike,
  checkpoint_every: int,
  log_every: int = 50,
  log_fn: Callable[[int, dict], None] | None = None,
  mesh: Mesh | None = None,
) -> tuple[pretrain.TrainState, list[dict]]:
  """`pretrain.train`, resuming from the latest checkpoint in `workdir/checkpoints` if there is
  one, and saving the TrainState every `checkpoint_every` steps and at `num_steps`.

  Raises:
    run_io.Interrupted: on SIGTERM / SIGINT (to any process), after checkpointing the step
      in flight; the same command with --resume continues from it.
  """
  state = pretrain.create_train_state(params, optimizer)
  if mesh is not None:
    state = pretrain.replicate(state, mesh)
  checkpointer = Checkpointer(workdir, clean_partial=True)  # the workdir's owner
  if checkpointer.latest_step() is not None:
    abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), state
    )
    _, state = checkpointer.restore(abstract)

  def save(step: int, state: pretrain.TrainState) -> None:
    if step % checkpoint_every == 0 or step == num_steps:
      checkpointer.save(step, state)

  try:
    with run_io.StopSignals() as stop:
      state, history = pretrain.train(
        model,
        batches,
        optimizer,
        num_steps,
        state,
        log_every,
        log_fn,
        on_step=save,
        mesh=mesh,
        should_stop=stop.agreed,
      )
    if stop.signum is not None:
      step = int(state.step)
      if checkpointer.latest_step() != step:
        checkpointer.save(step, state)
      raise run_io.Interrupted(
        f"Stopped by {signal.Signals(stop.signum).name} at step {step} of {num_steps}; its "
        f"checkpoint is in {checkpointer.directory}. Continue with the same command and "
        "--resume.",
        stop.signum,
      )
    return state, history
  finally:
    checkpointer.close()


def clip_size(config: ml_collections.ConfigDict) -> pretrain.ClipSize:
  """The size preset, with `config.patch_size` in place of its patch size where set."""
  if config.size not in pretrain.PRESETS:
    raise ValueError(
      f"Bad config: size={config.size!r} is not a preset; use one of {sorted(pretrain.PRESETS)}."
    )
  size = pretrain.PRESETS[config.size]
  patch = config.get("patch_size", 0)
  if not patch:
    return size
  if patch < 0 or config.image_size % patch:
    raise ValueError(
      f"Bad config: patch_size={patch} must divide image_size={config.image_size} "
      "(0 keeps the preset's)."
    )
  return dataclasses.replace(size, patch_size=patch)


def initial_model(config: ml_collections.ConfigDict):
  """The model and its starting parameters: a fresh CLIP of `clip_size(config)`, or, with
  `config.init_from` (a folder, a hub id or "bundled"), that CLIP's architecture and weights,
  to fine-tune."""
  if not config.get("init_from", ""):
    size = clip_size(config)
    model_config = pretrain.make_clip_config(
      size, image_size=config.image_size, max_text_length=config.max_text_length
    )
    return pretrain.init_model(model_config, seed=config.seed)
  start = clip.load_clip(config.init_from)
  if start.image_size != config.image_size or start.max_text_length < config.caption_tokens:
    raise ValueError(
      f"Bad config: init_from={config.init_from!r} takes {start.image_size} x "
      f"{start.image_size} images and {start.max_text_length} text tokens, but "
      f"image_size={config.image_size} and caption_tokens={config.caption_tokens}; set "
      "image_size to the model's and caption_tokens at most its text length."
    )
  model = transformers.FlaxCLIPModel(start.config, dtype=jnp.float32, _do_init=False)
  return model, start.params


# What a resumed pretraining run may change (the rest would change the model it trains).
RESUMABLE_KEYS = ("checkpoint_every", "log_every", "export_dir", "workdir")


def run(
  config: ml_collections.ConfigDict,
  resume: bool = False,
  restart: bool = False,
  unchecked_config: bool = False,
) -> dict:
  """Trains, saves `model/` (and `export_dir`), returns the summary (on process 0; None on
  the others). The workdir is the training runs' (`run_io.Workdir`): a fresh run refuses one
  that holds another run unless `restart`; `resume` continues the latest checkpoint with the
  saved config (only `RESUMABLE_KEYS` may change); resuming a finished run changes nothing
  and returns its summary."""
  workdir = paths.as_path(config.workdir)  # a local folder, or a cloud URI (gs://...)
  owner = distributed.run_on_main(
    lambda: run_io.Workdir(
      workdir,
      config,
      resume=resume,
      restart=restart,
      resumable=RESUMABLE_KEYS,
      unchecked_config=unchecked_config,
    ),
    f"take the workdir {workdir}",
  )
  try:
    return _run(config, workdir, resume)
  finally:
    if owner is not None:
      owner.close()


def _run(config: ml_collections.ConfigDict, workdir: paths.Path, resume: bool) -> dict:
  finished = workdir / "summary.json"
  if resume and finished.exists():
    summary = json.loads(finished.read_text())
    if summary["steps"] >= config.num_steps:
      print(f"{workdir}: finished at step {summary['steps']}; nothing to do.", file=sys.stderr)
      return summary if distributed.is_main() else None
  mesh = Mesh(np.array(jax.devices()), ("data",))
  if config.batch_size % mesh.size:
    raise ValueError(
      f"Bad config: batch_size={config.batch_size} must be a multiple of the {mesh.size} "
      "devices (each takes an equal share of the batch)."
    )
  model, params = initial_model(config)
  optimizer = pretrain.make_optimizer(
    config.learning_rate, config.warmup_steps, config.num_steps, config.weight_decay
  )
  main = distributed.is_main()
  resume_step = run_io.checkpoint_steps(workdir)[-1] if resume else None
  logger = MetricsLogger(workdir, keep_until=resume_step, write_files=main)
  if resume and main:
    expected = range(config.log_every, resume_step + 1, config.log_every)
    run_io.report_lost_rows(logger.read(), expected, logger.path)
  start = time.time()
  try:
    state, history = train_with_checkpoints(
      model,
      params,
      caption_batches(config, resume_step or 0),
      optimizer,
      config.num_steps,
      workdir,
      config.checkpoint_every,
      log_every=config.log_every,
      log_fn=logger.write,
      mesh=mesh,
    )
  finally:
    logger.close()
  seconds = time.time() - start
  if not main:
    return None
  # Portrait screens are resized whole, never cropped: the launcher's, and the corpus's
  # screenshots, which it draws squashed into the square as a resized screenshot is.
  squash = config.data.domain in ("launcher", "corpus")
  for dest in (workdir / "model", config.export_dir):
    if dest:
      save = functools.partial(pretrain.save_model, model, state.params, squash=squash)
      paths.save_folder(save, dest)
  summary = {
    "size": config.size,
    "init_from": config.get("init_from", ""),
    "vision": model.config.vision_config.to_diff_dict(),
    "text": model.config.text_config.to_diff_dict(),
    "num_params": int(sum(x.size for x in jax.tree.leaves(state.params))),
    "steps": int(state.step),
    "batch_size": config.batch_size,
    "train_seconds_this_run": round(seconds, 1),
    "final": history[-1] if history else None,
    "config": config.to_dict(),
  }
  (workdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
  return summary


def main(argv) -> None:
  del argv
  f = flags_lib
  config = f.CONFIG.value
  if f.WORKDIR.value is not None:  # --workdir in place of the config's
    with config.unlocked():
      config.workdir = f.WORKDIR.value
  try:
    distributed.initialize()
    summary = run(config, f.RESUME.value, f.RESTART.value, f.UNCHECKED_CONFIG.value)
  except run_io.Interrupted as e:
    print(e, file=sys.stderr)
    sys.exit(128 + e.signum)
  except (ValueError, OSError, RuntimeError, FloatingPointError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  if summary is not None:
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
  argv = flags_lib.with_default_config(sys.argv, "experiments/configs/pretrain_clip.py:S")
  app.run(main, argv=argv, flags_parser=flags_lib.parse)
