"""Contrastive pretraining: the loss falls on a learnable toy set; saved models reload exactly."""

import json
import os
import signal

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import transformers
from etils import epath

from experiments import pretrain_clip, run_io
from experiments.configs import pretrain_clip as pretrain_config
from experiments.run_io import Checkpointer
from vlm_rewards import clip, pretrain

TINY = pretrain.ClipSize(64, 2, 2, 16, 32, 1, 2, 32)
COLOURS = {
  "red": (220, 30, 30),
  "green": (30, 200, 40),
  "blue": (30, 40, 220),
  "yellow": (230, 220, 30),
}
MAX_LEN = 16


def _squares(rng: np.random.Generator, n: int) -> tuple[np.ndarray, list[str], np.ndarray]:
  """Grey frames with one coloured square at a random place; caption names the colour."""
  names = list(COLOURS)
  idx = rng.integers(0, len(names), n)
  frames = np.full((n, 64, 64, 3), 90, np.uint8)
  for i, c in enumerate(idx):
    y, x = rng.integers(0, 40, 2)
    frames[i, y : y + 24, x : x + 24] = COLOURS[names[c]]
  return frames, [f"a {names[c]} square" for c in idx], idx


@pytest.fixture(scope="module")
def tokenizer():
  return pretrain.load_tokenizer(MAX_LEN)


def _batch(tokenizer, rng, n):
  frames, captions, idx = _squares(rng, n)
  ids, mask = pretrain.tokenize(tokenizer, captions, MAX_LEN)
  match = idx[:, None] == idx[None, :]
  return {"frames": frames, "input_ids": ids, "attention_mask": mask, "match": match}


def test_contrastive_loss_is_symmetric_and_perfect_when_aligned():
  emb = jnp.eye(4)
  loss, metrics = pretrain.contrastive_loss(emb, emb, jnp.log(100.0))
  assert float(loss) < 1e-3 and float(metrics["accuracy"]) == 1.0
  # The scale is clipped at 100: a larger raw scale gives the same loss.
  loss_big, _ = pretrain.contrastive_loss(emb, emb, jnp.asarray(10.0))
  np.testing.assert_allclose(loss, loss_big, rtol=1e-6)
  rng = np.random.default_rng(0)
  a, b = rng.normal(size=(2, 6, 8))
  la, _ = pretrain.contrastive_loss(jnp.asarray(a), jnp.asarray(b), jnp.asarray(1.0))
  lb, _ = pretrain.contrastive_loss(jnp.asarray(b), jnp.asarray(a), jnp.asarray(1.0))
  np.testing.assert_allclose(la, lb, rtol=1e-5)


def test_extra_texts_are_negatives_of_the_image_to_text_direction_only():
  rng = np.random.default_rng(1)
  img, txt = (
    jnp.asarray(x / np.linalg.norm(x, axis=-1, keepdims=True)) for x in rng.normal(size=(2, 4, 8))
  )
  base, _ = pretrain.contrastive_loss(img, txt, jnp.asarray(2.0))
  # A hard negative equal to image 0 itself raises the loss; one opposite to every image
  # barely moves it; the text-to-image half never sees either.
  close = jnp.concatenate([txt, img[:1]])
  far = jnp.concatenate([txt, -jnp.sum(img, 0, keepdims=True) / 2])
  loss_close, _ = pretrain.contrastive_loss(img, close, jnp.asarray(2.0))
  loss_far, _ = pretrain.contrastive_loss(img, far, jnp.asarray(2.0))
  assert float(loss_close) > float(base) + 0.05
  assert abs(float(loss_far) - float(base)) < 0.05
  # Marked as fitting image 0 (match), the same text lowers the loss instead.
  match = jnp.concatenate([jnp.eye(4, dtype=bool), jnp.eye(4, 1, dtype=bool)], axis=1)
  loss_fit, _ = pretrain.contrastive_loss(img, close, jnp.asarray(2.0), match)
  assert float(loss_fit) < float(loss_close)


def _loss_floor(match: np.ndarray) -> float:
  """Lowest reachable multi-positive loss: the entropy of the uniform target over positives."""
  return float(np.mean(np.log(match.sum(axis=1))))


@pytest.mark.long
def test_a_few_steps_lower_the_loss(tokenizer):
  model, params = pretrain.init_model(
    pretrain.make_clip_config(TINY, max_text_length=MAX_LEN), seed=0
  )
  optimizer = pretrain.make_optimizer(1e-3, warmup_steps=10, total_steps=120, weight_decay=0.0)
  state = pretrain.create_train_state(params, optimizer)
  step = pretrain.make_train_step(model, optimizer)
  rng = np.random.default_rng(0)
  batches = [_batch(tokenizer, rng, 32) for _ in range(8)]
  floor = np.mean([_loss_floor(b["match"]) for b in batches])
  history = []
  for i in range(120):
    state, metrics = step(state, batches[i % len(batches)])
    history.append(jax.device_get(metrics))
  assert int(state.step) == 120 and all(np.isfinite(m["loss"]) for m in history)
  # Metrics are of the parameters before each update: the first is the untrained model.
  before = history[0]["loss"]
  after = np.mean([m["loss"] for m in history[-8:]])
  assert after - floor < 0.5 * (before - floor), (before, after, floor)
  assert np.mean([m["accuracy"] for m in history[-8:]]) > 0.9


def _latest_step(workdir) -> int | None:
  checkpointer = Checkpointer(workdir)
  try:
    return checkpointer.latest_step()
  finally:
    checkpointer.close()


@pytest.mark.long
def test_train_loop_checkpoints_and_resumes(tokenizer, tmp_path):
  model, params = pretrain.init_model(
    pretrain.make_clip_config(TINY, max_text_length=MAX_LEN), seed=0
  )
  optimizer = pretrain.make_optimizer(1e-3, warmup_steps=1, total_steps=4)
  rng = np.random.default_rng(0)
  # Period 2: a resumed run restarts its batches, so steps 3-4 see what a full run sees there.
  batches = [_batch(tokenizer, rng, 8) for _ in range(2)] * 2
  train = lambda num_steps, every: pretrain_clip.train_with_checkpoints(
    model, params, batches, optimizer, num_steps, tmp_path, checkpoint_every=every, log_every=1
  )
  half, _ = train(2, every=2)
  assert int(half.step) == 2 and _latest_step(tmp_path) == 2
  # A fresh run pointed at the same workdir resumes at step 2 and runs steps 3 and 4 only.
  resumed, history = train(4, every=100)
  assert int(resumed.step) == 4 and [row["step"] for row in history] == [3, 4]
  assert _latest_step(tmp_path) == 4  # the last step is saved too
  full, _ = pretrain.train(
    model, batches, optimizer, 4, pretrain.create_train_state(params, optimizer)
  )
  jax.tree.map(np.testing.assert_array_equal, full.params, resumed.params)
  # Resuming a finished run has nothing left to do and returns the saved state.
  again, history = train(4, every=100)
  assert int(again.step) == 4 and history == []
  jax.tree.map(np.testing.assert_array_equal, resumed.params, again.params)


def test_sigterm_checkpoints_the_step_in_flight_and_the_run_resumes(tokenizer, tmp_path):
  model, params = pretrain.init_model(
    pretrain.make_clip_config(TINY, max_text_length=MAX_LEN), seed=0
  )
  optimizer = pretrain.make_optimizer(1e-3, warmup_steps=1, total_steps=4)
  batches = [_batch(tokenizer, np.random.default_rng(0), 8)] * 4

  def log_fn(step, row):
    if step == 3:  # preempted during step 3's logging: no checkpoint is due before step 4
      os.kill(os.getpid(), signal.SIGTERM)

  train = lambda log_fn: pretrain_clip.train_with_checkpoints(
    model,
    params,
    batches,
    optimizer,
    4,
    tmp_path,
    checkpoint_every=100,
    log_fn=log_fn,
    log_every=1,
  )
  with pytest.raises(run_io.Interrupted, match="SIGTERM at step 3 of 4") as stopped:
    train(log_fn)
  assert stopped.value.signum == signal.SIGTERM and _latest_step(tmp_path) == 3
  resumed, history = train(None)
  assert int(resumed.step) == 4 and [row["step"] for row in history] == [4]


def _embeddings(model, params, tokenizer):
  frames, captions, _ = _squares(np.random.default_rng(7), 4)
  ids, mask = pretrain.tokenize(tokenizer, captions, MAX_LEN)
  out = model(ids, pretrain.frames_to_pixels(jnp.asarray(frames)), mask, params=params)
  return np.asarray(out.image_embeds), np.asarray(out.text_embeds), frames, captions


def test_saved_model_reloads_with_identical_embeddings(tokenizer, tmp_path):
  model, params = pretrain.init_model(
    pretrain.make_clip_config(TINY, max_text_length=MAX_LEN), seed=3
  )
  out = pretrain.save_model(model, params, tmp_path / "clip")
  for name in (
    "config.json",
    "flax_model.msgpack",
    "vocab.json",
    "merges.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "preprocessor_config.json",
  ):
    assert (out / name).exists(), name
  assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == MAX_LEN
  processor = transformers.CLIPImageProcessor.from_pretrained(str(out))
  assert processor.crop_size == {"height": 64, "width": 64}
  reloaded, reloaded_params = transformers.FlaxCLIPModel.from_pretrained(str(out), _do_init=False)
  img_a, txt_a, frames, captions = _embeddings(model, params, tokenizer)
  img_b, txt_b, _, _ = _embeddings(reloaded, reloaded_params, tokenizer)
  np.testing.assert_array_equal(img_a, img_b)
  np.testing.assert_array_equal(txt_a, txt_b)
  # The HF image processor on the saved config gives the same pixels as our JAX path.
  hf_pixels = processor(images=list(frames), return_tensors="np")["pixel_values"]
  ours = np.asarray(pretrain.frames_to_pixels(jnp.asarray(frames)))
  np.testing.assert_allclose(hf_pixels, ours, atol=1e-5)
  loaded = clip.load_clip(str(out), dtype=jnp.float32)
  np.testing.assert_allclose(np.asarray(loaded.embed_images(frames)), img_a, atol=1e-5)
  np.testing.assert_allclose(np.asarray(loaded.embed_text(captions)), txt_a, atol=1e-5)


def test_a_model_saved_into_the_package_shares_its_one_tokenizer(tokenizer, tmp_path, monkeypatch):
  """Inside the package's assets a saved model gets no tokenizer copy, and still loads with
  the shared tokenizer cut at its own text length."""
  monkeypatch.setattr(pretrain, "ASSETS", tmp_path)
  model, params = pretrain.init_model(
    pretrain.make_clip_config(TINY, max_text_length=MAX_LEN), seed=3
  )
  out = pretrain.save_model(model, params, tmp_path / "bundled_test")
  assert not any((out / name).exists() for name in pretrain.TOKENIZER_FILES)
  loaded = clip.load_clip(out)
  assert loaded.tokenizer.model_max_length == loaded.max_text_length == MAX_LEN
  _, txt, _, captions = _embeddings(model, params, tokenizer)
  np.testing.assert_allclose(np.asarray(loaded.embed_text(captions)), txt, atol=1e-5)


@pytest.mark.parametrize("name", clip.SHIPPED)
def test_bundled_models_carry_no_tokenizer_copy(name):
  """The package holds one tokenizer (`assets/tokenizer/`); the bundled models read it."""
  folder = clip.BUNDLED[name]
  assert not any((folder / f).exists() for f in pretrain.TOKENIZER_FILES), folder
  assert all((clip.TOKENIZER_DIR / f).is_file() for f in pretrain.TOKENIZER_FILES)
  model = clip.load_clip(name)
  length = model.config.text_config.max_position_embeddings
  assert model.tokenizer.model_max_length == model.max_text_length == length


def test_bundled_model_loads_offline():
  """The committed model: a HF folder under 20 MB that `load_clip("bundled")` reads."""
  folder = clip.BUNDLED_DIR
  if not (folder / "flax_model.msgpack").exists():
    pytest.skip("the bundled model has not been trained yet")
  assert (folder / "flax_model.msgpack").stat().st_size <= 20e6
  assert (folder / "README.md").exists()
  model = clip.load_clip("bundled")
  assert model.image_size == 64 and 0.0 < model.temperature <= 1.0
  frames = np.zeros((2, 64, 64, 3), np.uint8)
  emb = np.asarray(model.embed_images(frames))
  assert emb.shape == (2, model.embed_dim)
  np.testing.assert_allclose(np.linalg.norm(emb, axis=-1), 1.0, rtol=1e-5)
  assert np.asarray(model.embed_text(["Go near a red duck"])).shape == (1, model.embed_dim)


def test_family_weights_of_the_wrong_length_are_refused():
  config = pretrain_config.get_config("XS,smoke,relations")
  with config.unlocked():
    config.data.family_weights = (1.0, 2.0)
  with pytest.raises(ValueError, match="one per goal family"):
    pretrain_clip._playhouse_rollouts(config.data, 64)


def test_identity_negatives_outside_0_1_are_refused_before_the_frame_pool():
  config = pretrain_config.get_config("XS,smoke,relations")
  with config.unlocked():
    config.data.identity_negatives = 1.5
  with pytest.raises(ValueError, match="identity_negatives=1.5"):
    next(pretrain_clip.caption_batches(config))


def test_patch_size_overrides_the_preset_and_must_divide_the_frame():
  config = pretrain_config.get_config("S,smoke")
  assert pretrain_clip.clip_size(config) == pretrain.PRESETS["S"]
  with config.unlocked():
    config.patch_size = 8
  size = pretrain_clip.clip_size(config)
  assert size.patch_size == 8 and size.vision_width == pretrain.PRESETS["S"].vision_width
  vision = pretrain.make_clip_config(size).vision_config
  assert (vision.image_size // vision.patch_size) ** 2 == 64
  with config.unlocked():
    config.patch_size = 12
  with pytest.raises(ValueError, match="must divide image_size=64"):
    pretrain_clip.clip_size(config)


def test_init_from_starts_from_a_saved_clip_and_refuses_a_mismatched_one(tmp_path):
  model, params = pretrain.init_model(
    pretrain.make_clip_config(TINY, max_text_length=MAX_LEN), seed=5
  )
  folder = pretrain.save_model(model, params, tmp_path / "clip")
  config = pretrain_config.get_config("S,smoke")
  with config.unlocked():
    config.init_from = str(folder)
    config.caption_tokens = MAX_LEN
  started, start_params = pretrain_clip.initial_model(config)
  assert started.config.vision_config.hidden_size == TINY.vision_width  # not the S preset's
  jax.tree.map(np.testing.assert_array_equal, params, start_params)  # same tree and values
  with config.unlocked():
    config.caption_tokens = MAX_LEN + 1
  with pytest.raises(ValueError, match="caption_tokens at most its text length"):
    pretrain_clip.initial_model(config)


def test_a_web_clip_trains_on_the_corpus_only(tmp_path, fake_gcs, monkeypatch):
  """`,web` pretrains on `vlm_rewards.corpus` (no env frame): a few steps run end to end,
  into its own workdir (a gs:// one here, in conftest's fake bucket), and the saved model
  loads."""
  monkeypatch.setattr(pretrain_clip, "Checkpointer", run_io.Checkpointer)  # the fake's
  config = pretrain_config.get_config("XS,web,smoke")
  assert config.data.domain == "corpus" and "/web/" in config.workdir
  with config.unlocked():
    config.workdir = "gs://bucket/web"
    config.image_size, config.batch_size, config.num_steps = 32, 12, 3
    config.warmup_steps, config.log_every, config.checkpoint_every = 1, 1, 3
  summary = pretrain_clip.run(config)
  assert summary["steps"] == 3 and np.isfinite(summary["final"]["loss"])
  saved = json.loads(epath.Path("gs://bucket/web/summary.json").read_text())
  assert saved["steps"] == 3 and len(run_io.read_metrics("gs://bucket/web/metrics.jsonl")) == 3
  local = tmp_path / "model"  # load_clip reads local folders: copy the model back
  local.mkdir()
  for file in epath.Path("gs://bucket/web/model").iterdir():
    (local / file.name).write_bytes(file.read_bytes())
  assert clip.load_clip(local).image_size == 32
  # The workdir is guarded as training's: a second run is refused, a resume of the finished
  # run changes nothing, and a resume with another recipe is refused.
  before = epath.Path("gs://bucket/web/summary.json").read_text()
  with pytest.raises(FileExistsError, match="holds another run .*--resume.*--restart"):
    pretrain_clip.run(config)
  assert pretrain_clip.run(config, resume=True) == json.loads(before)
  assert epath.Path("gs://bucket/web/summary.json").read_text() == before
  with config.unlocked():
    config.learning_rate = 3e-4
  with pytest.raises(ValueError, match=r"changes the run .*learning_rate: 0.001 -> 0.0003"):
    pretrain_clip.run(config, resume=True)


def test_pretraining_refuses_a_typo_and_keeps_smoke_runs_apart():
  with pytest.raises(ValueError, match=r"Unknown config argument \['smok'\]"):
    pretrain_config.get_config("XS,smok")
  smoke, full = (pretrain_config.get_config(a).workdir for a in ("XS,web,smoke", "XS,web"))
  assert smoke != full and "smoke" in smoke


def test_an_unknown_data_domain_is_named_with_every_valid_one():
  config = pretrain_config.get_config("XS,smoke")
  with config.unlocked():
    config.data.domain = "corpora"
  with pytest.raises(ValueError, match=r"\['corpus', 'launcher', 'playhouse'\], got 'corpora'"):
    next(pretrain_clip.caption_batches(config))


def test_web_s_ships_offline_with_a_card_that_says_it_saw_no_environment_frame():
  folder = clip.BUNDLED["web-S"]
  card = (folder / "README.md").read_text()
  assert "Never saw" in card and "any frame rendered by `envs/`" in card
  assert "threshold" in card and "corpus alone" in card
  assert (folder / "flax_model.msgpack").stat().st_size <= 20e6
  model = clip.load_clip("web-S")
  assert model.preprocess_config.crop_hw is None  # whole screens, as the corpus draws them
  assert model.config.vision_config.hidden_size == pretrain.PRESETS["S"].vision_width


def test_the_web_family_grows_in_data_seen_and_unbuilt_sizes_say_how_to_build(
  monkeypatch, tmp_path
):
  steps = {s: pretrain_config.get_config(f"{s},web").num_steps for s in ("XXS", "XS", "S", "M")}
  assert list(steps.values()) == sorted(steps.values()) and steps["M"] >= 30 * steps["XXS"]
  widths = [pretrain.PRESETS[s].vision_width * pretrain.PRESETS[s].vision_layers for s in steps]
  assert widths == sorted(set(widths))
  monkeypatch.setitem(clip.BUNDLED, "web-M", tmp_path / "web_M")  # as on a fresh clone
  with pytest.raises(FileNotFoundError, match=r"'web-M' is not built yet.*make web-clips"):
    clip.load_clip("web-M")


def test_an_unknown_config_argument_is_refused():
  with pytest.raises(ValueError, match=r"Unknown config argument \['smok'\]"):
    pretrain_config.get_config("XS,smok")
