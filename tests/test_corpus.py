"""The web stand-in corpus: independent of the environments, seeded, varied, captioned
without goals, and consumable by contrastive pretraining.

Every drawing test shares one configuration and batch size, so each kind's drawer compiles
once for the whole file.
"""

import ast
import pathlib
import re
import subprocess
import sys

import jax
import numpy as np
import pytest

from vlm_rewards import corpus
from vlm_rewards.corpus import apps as A
from vlm_rewards.corpus import captions as CA
from vlm_rewards.corpus import concepts as C
from vlm_rewards.corpus import draw as D
from vlm_rewards.corpus import specs as SPEC

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONFIG = corpus.CorpusConfig(image_size=32)
BATCH = 12  # every kind gets at least one image at the default weights
CLEAN = dict(caption_noise=0.0, wrong_colour_rate=0.0, unrelated_rate=0.0)


@pytest.fixture(scope="module")
def batch():
  return corpus.sample(CONFIG, seed=3, index=0, batch_size=BATCH)


def _imported_modules(path: pathlib.Path) -> set[str]:
  names = set()
  for node in ast.walk(ast.parse(path.read_text())):
    if isinstance(node, ast.Import):
      names |= {a.name for a in node.names}
    elif isinstance(node, ast.ImportFrom) and node.module:
      names.add(node.module)
  return names


def test_corpus_imports_nothing_from_envs():
  files = sorted((ROOT / "vlm_rewards" / "corpus").glob("*.py"))
  assert len(files) >= 5
  for path in files:
    tops = {name.split(".")[0] for name in _imported_modules(path)}
    assert "envs" not in tops, path
  code = (
    "import sys, vlm_rewards.corpus, vlm_rewards.corpus.grid;"
    "bad = [m for m in sys.modules if m == 'envs' or m.startswith('envs.')];"
    "assert not bad, bad"
  )
  subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def _goal_strings() -> set[str]:
  from envs.launcher import Launcher, LauncherConfig
  from envs.playhouse import Playhouse

  goals = {g.lower() for g in Playhouse().goals}
  for app in Launcher(LauncherConfig(task="diverse")).goals:
    goals |= {f"open {app}".lower(), f"open the {app} app".lower()}
  return goals


def test_vocabulary_covers_the_environments_words():
  from envs.launcher import Launcher, LauncherConfig
  from envs.playhouse import Playhouse

  house = Playhouse()
  assert set(house.colour_names) <= set(C.COLOUR_ID)
  assert set(house.type_names) <= set(C.CATEGORY_ID)
  assert set(Launcher(LauncherConfig(task="diverse")).goals) <= set(A.APP_ID)


def _many_captions(count: int, seed: int = 0, **noise) -> list[tuple[str, str, dict]]:
  """(kind, caption, spec row) for `count` images of every kind, without drawing them."""
  rng = np.random.default_rng(seed)
  vocab = SPEC.vocabulary(None)
  rates = (
    noise.get("caption_noise", 0.3),
    noise.get("wrong_colour_rate", 0.05),
    noise.get("unrelated_rate", 0.02),
  )
  out = []
  for kind in SPEC.KINDS:
    spec = SPEC.SAMPLERS[kind](rng, count, vocab)
    for i in range(count):
      row = {k: v[i] for k, v in spec.items()}
      out += [(kind, c, row) for c in CA.captions(rng, kind, row, 2, rates)]
  return out


def test_captions_never_state_a_goal():
  goals = _goal_strings()
  verbs = re.compile(r"\b(go near|lift|put|open|pick up)\b|next to|is held|is near")
  assert all(verbs.search(g) for g in goals)  # so no caption without these can hold a goal
  captions = [c.lower() for _, c, _ in _many_captions(400)]
  for caption in captions:
    assert caption not in goals, caption
    assert not verbs.search(caption), caption
    assert caption.split()[0] not in ("lift", "put", "open"), caption
  sample = captions[:300]
  assert not any(goal in caption for goal in goals for caption in sample)


def _names(app: int) -> tuple[str, str]:
  return A.APPS[app].name.lower(), A.APPS[app].label.lower()


def test_clean_captions_name_colour_and_category():
  for kind, caption, row in _many_captions(60, seed=1, **CLEAN):
    text = caption.lower()
    if kind in ("photo", "illustration", "scene"):
      colour, cat = C.COLOURS[row["colours"][0]], C.CATEGORIES[row["cats"][0]]
      assert any(w in text for w in (colour.name, *colour.synonyms)), (caption, colour.name)
      assert any(w in text for w in (cat.name, *cat.synonyms)), (caption, cat.name)
    elif kind == "home_screen":  # a caption that names apps names the main one
      generic = {t.lower() for t in CA.HOME if "{apps}" not in t}
      assert text in generic or any(n in text for n in _names(row["dock"][0])), caption
    elif not text.endswith(" on a phone"):  # the one screenshot caption without a name
      assert any(n in text for n in _names(row["app"])), caption


def test_frames_are_uint8_varied_and_not_blank(batch):
  frames = batch["frames"]
  assert frames.shape == (BATCH, 32, 32, 3) and frames.dtype == np.uint8
  assert len(batch["captions"]) == BATCH and batch["concepts"].shape == (BATCH, SPEC.MAX_CONCEPTS)
  assert set(batch["kinds"]) == set(range(len(corpus.KINDS)))
  assert all(frame.std() > 8 for frame in frames)
  flat = frames.reshape(BATCH, -1).astype(np.int16)
  diff = np.abs(flat[:, None] - flat[None]).mean(-1)
  assert (diff + np.eye(BATCH) * 99 > 3).all()  # no two images alike, across and within kinds


def test_same_seed_same_batch_other_seed_or_index_other_batch(batch):
  again = corpus.sample(CONFIG, seed=3, index=0, batch_size=BATCH)
  np.testing.assert_array_equal(batch["frames"], again["frames"])
  assert batch["all_captions"] == again["all_captions"]
  for other in (
    corpus.sample(CONFIG, seed=4, index=0, batch_size=BATCH),
    corpus.sample(CONFIG, seed=3, index=1, batch_size=BATCH),
    corpus.sample(CONFIG, seed=3, index=0, batch_size=BATCH, split="heldout"),
  ):
    assert not np.array_equal(batch["frames"], other["frames"])
    assert batch["captions"] != other["captions"]
  first = next(corpus.batches(CONFIG, seed=3, batch_size=BATCH))
  np.testing.assert_array_equal(first["frames"], batch["frames"])


def test_screenshots_of_one_app_differ():
  n = int(corpus.stream.capacity(CONFIG, BATCH)[corpus.KINDS.index("screenshot")])
  spec = {"app": np.full(max(n, 2), A.APP_ID["Gmail"], np.int32)}
  if n < 2:
    pytest.skip("the default weights give screenshots a single seat")
  a = np.asarray(D.draw("screenshot", jax.random.key(0), spec, CONFIG.image_size))
  b = np.asarray(D.draw("screenshot", jax.random.key(1), spec, CONFIG.image_size))
  assert np.abs(a[0].astype(int) - a[1]).mean() > 1.0
  assert np.abs(a[0].astype(int) - b[0]).mean() > 1.0


def test_num_concepts_restricts_the_vocabulary():
  config = corpus.CorpusConfig(image_size=32, num_concepts=5)
  concepts = corpus.sample(config, seed=0, index=0, batch_size=BATCH)["concepts"]
  objects = concepts[(concepts >= 0) & (concepts < SPEC.OBJECT_CONCEPTS)]
  apps = concepts[concepts >= SPEC.OBJECT_CONCEPTS] - SPEC.OBJECT_CONCEPTS
  assert (objects // C.NUM_COLOURS < 5).all() and (apps < 5).all() and len(apps)
  vocab = SPEC.vocabulary(5)
  rng = np.random.default_rng(0)
  assert SPEC.photos(rng, 200, vocab)["cats"].max() < 5
  assert SPEC.homes(rng, 50, vocab)["grid"].max() < 5


def test_match_matrix_pairs_images_of_one_main_concept():
  concepts = np.asarray([[3, -1, -1, -1], [3, 7, -1, -1], [4, -1, -1, -1], [-1, -1, -1, -1]])
  kinds = np.asarray([0, 0, 0, 1])
  match = corpus.match_matrix(concepts, concepts, kinds, kinds)
  expected = np.asarray([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]], bool)
  np.testing.assert_array_equal(match, expected)
  other = corpus.match_matrix(concepts, concepts, kinds, np.asarray([1, 1, 0, 1]))
  assert not other[0, 0] and other[2, 2]


def test_tokenized_batches_feed_clip_loss():
  from vlm_rewards import pretrain

  max_len = 16
  tokens = corpus.CaptionTokens(max_len)
  batch = next(corpus.tokenized_batches(CONFIG, 5, BATCH, max_len, caption_tokens=tokens))
  assert set(batch) == {"frames", "input_ids", "attention_mask", "match"}
  assert batch["input_ids"].shape == (BATCH, max_len) and batch["input_ids"].dtype == np.int32
  assert batch["match"].shape == (BATCH, BATCH) and batch["match"].diagonal().all()
  size = pretrain.ClipSize(64, 1, 2, 16, 32, 1, 2, 32)
  config = pretrain.make_clip_config(size, image_size=CONFIG.image_size, max_text_length=max_len)
  model, params = pretrain.init_model(config, seed=0)
  loss, metrics = jax.jit(lambda p, b: pretrain.clip_loss(p, model, b))(params, batch)
  assert np.isfinite(float(loss)) and 0.0 <= float(metrics["accuracy"]) <= 1.0
  ids, _ = tokens(["a red ball", "a red ball"])
  np.testing.assert_array_equal(ids[0], ids[1])
  assert "a red ball" in tokens.cache


def test_caption_tokens_survive_a_full_cache():
  """When the cache is full it is emptied, and captions it held are tokenized again."""
  tokens = corpus.CaptionTokens(16, limit=3)
  first, _ = tokens(["a red ball", "a blue mug"])
  again, _ = tokens(["a red ball", "a green cup", "a toy boat"])  # over the limit: cleared
  np.testing.assert_array_equal(first[0], again[0])
  assert len(tokens.cache) == 3


def test_corpus_threshold_needs_no_environment_and_is_deterministic(tiny_clip):
  """beta from held-out corpus pairs only: one positive and three negatives per image."""
  from vlm_rewards.corpus import calibration

  p, labels = calibration.corpus_pairs(tiny_clip, num_images=BATCH, num_negatives=4)
  assert labels.shape == p.shape == (4 * BATCH,) and labels.mean() == 0.25
  assert np.all((p >= 0) & (p <= 1))
  first = calibration.corpus_threshold(tiny_clip, num_images=BATCH, num_negatives=4)
  assert first == calibration.corpus_threshold(tiny_clip, num_images=BATCH, num_negatives=4)
  assert 0.0 <= first["threshold"] <= 1.0 and first["pairs"] == 4 * BATCH
