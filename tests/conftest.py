"""Shared fixtures: a tiny random CLIP saved by transformers, in Flax and PyTorch formats."""

import os
import pathlib
import shutil
import sys
import tempfile

import jax
import pytest
import transformers
from etils import epath
from fsspec.implementations.memory import MemoryFileSystem
from transformers import modeling_flax_pytorch_utils as pt_utils

_CACHE_ENV = "VLM_REWARDS_TEST_XLA_CACHE"
_created_cache = None


def pytest_configure(config):
  """One persistent XLA compilation cache per test session, in a fresh directory, shared by the
  xdist workers and the processes that tests launch (they inherit the environment): a resumed
  run, or a second process of a multi-process run, loads the executables that an earlier one
  compiled instead of compiling them again. Fresh each session, so that a session's timing is
  that of a cold cache, as on CI."""
  global _created_cache
  del config
  path = os.environ.get(_CACHE_ENV)
  if path is None:
    path = _created_cache = tempfile.mkdtemp(prefix="vlm-rewards-xla-cache-")
    os.environ[_CACHE_ENV] = os.environ["JAX_COMPILATION_CACHE_DIR"] = path
  jax.config.update("jax_compilation_cache_dir", path)


def pytest_unconfigure(config):
  del config
  if _created_cache is not None:
    shutil.rmtree(_created_cache, ignore_errors=True)


def pytest_collection_modifyitems(items):
  """Tests marked `long` run first, so that the two workers of `pytest -n 2` start on them and
  the short tests fill in around them (longest first keeps the suite's wall clock short)."""
  items.sort(key=lambda item: item.get_closest_marker("long") is None)


TINY_TEXT_POSITIONS = 16  # short, so that truncation is easy to trigger in tests
TINY_IMAGE_SIZE = 32


def tiny_clip_config() -> transformers.CLIPConfig:
  """A CLIP with the real vocabulary but tiny towers (hidden 32, 2 layers, patch 8)."""
  text = dict(
    vocab_size=49408,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    max_position_embeddings=TINY_TEXT_POSITIONS,
  )
  vision = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    image_size=TINY_IMAGE_SIZE,
    patch_size=8,
  )
  return transformers.CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)


@pytest.fixture(scope="session")
def tiny_clip_dirs(tmp_path_factory) -> dict[str, pathlib.Path]:
  """Folders holding one tiny random CLIP, saved by transformers in three formats.

  The Flax model is the original (random init, seed 0); the PyTorch copies are made by
  transformers' own Flax-to-PyTorch weight converter, independent of vlm_rewards' loader.

  Returns:
    {"flax": flax_model.msgpack, "safetensors": model.safetensors (PyTorch format),
     "bin": pytorch_model.bin}; all share config.json and the same weights.
  """
  root = tmp_path_factory.mktemp("tiny_clip")
  flax_model = transformers.FlaxCLIPModel(tiny_clip_config(), _do_init=False)
  init = jax.jit(flax_model.init_weights, static_argnums=1)
  params = init(jax.random.PRNGKey(0), flax_model.input_shape)
  flax_model.save_pretrained(root / "flax", params=params)
  torch_model = transformers.CLIPModel(flax_model.config).eval()
  pt_utils.load_flax_weights_in_pytorch_model(torch_model, jax.device_get(params))
  torch_model.save_pretrained(root / "safetensors")
  torch_model.save_pretrained(root / "bin", safe_serialization=False)
  return {name: root / name for name in ("flax", "safetensors", "bin")}


@pytest.fixture(scope="session")
def tiny_clip(tiny_clip_dirs):
  """The tiny CLIP loaded from its Flax folder (fp32); shared so jitted functions are reused."""
  from vlm_rewards.clip import load_clip  # noqa: PLC0415

  return load_clip(tiny_clip_dirs["flax"])


@pytest.fixture(scope="session")
def tiny_torch_clip(tiny_clip_dirs):
  """transformers' PyTorch CLIPModel loaded from the same weights."""
  return transformers.CLIPModel.from_pretrained(tiny_clip_dirs["safetensors"]).eval()


def tiny_config(model_dir, **overrides):
  """The Playhouse smoke config on the tiny CLIP: 2 updates of 8 envs x 8 steps per call."""
  from experiments.configs import playhouse_find  # noqa: PLC0415

  c = playhouse_find.get_config("smoke")
  c.reward.model = str(model_dir)
  c.quiet = True
  c.env.max_steps = 12
  c.eval_envs = 8
  c.checkpoint_every_calls = 3  # so that a signal between checkpoints has something to save
  for k, v in overrides.items():
    c[k] = v
  return c


@pytest.fixture(scope="session")
def tiny_run(tiny_clip_dirs):
  """One compiled Run (4 calls of 2 updates of 8 envs x 8 steps), shared by the tests."""
  from experiments import train as train_lib  # noqa: PLC0415

  return train_lib.Run(tiny_config(tiny_clip_dirs["flax"], total_frames=8 * 8 * 2 * 4))


@pytest.fixture
def copy_config(tmp_path, tiny_clip_dirs):
  """Makes a fresh folder with only the tiny model's config.json; returns its path."""

  def make(name: str = "model") -> pathlib.Path:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(tiny_clip_dirs["flax"] / "config.json", folder / "config.json")
    return folder

  return make


class FakeBucketFileSystem(MemoryFileSystem):
  """fsspec's in-memory file system standing in for GCS: epath sends gs:// paths to fsspec's
  "gcs" protocol, which `fake_gcs` points here, so that no request leaves the process."""

  protocol = ("gs", "gcs")
  store: dict = {}
  pseudo_dirs = [""]

  def __init__(self, *args, finalize_on_close: bool = False, **kwargs):
    del finalize_on_close  # a gcsfs option that epath passes
    super().__init__(*args, **kwargs)

  @classmethod
  def _strip_protocol(cls, path):
    path = str(path)
    for prefix in ("gs://", "gcs://"):
      path = path.removeprefix(prefix)
    return MemoryFileSystem._strip_protocol(path)


class MemoryCheckpointer:
  """`run_io.Checkpointer`'s interface over a dict: orbax writes gs:// checkpoints with
  tensorstore's own GCS driver, which no fake bucket reaches."""

  store: dict = {}  # {directory: {step: state}}

  def __init__(self, workdir, keep: int = 2, clean_partial: bool = False):
    del keep, clean_partial
    self.directory = f"{workdir}/checkpoints"
    self.saved = MemoryCheckpointer.store.setdefault(self.directory, {})

  def save(self, step: int, state) -> None:
    self.saved[step] = jax.device_get(state)
    # The step's folder in the bucket too: what `run_io.Workdir` looks for.
    epath.Path(self.directory, str(step)).mkdir(parents=True, exist_ok=True)

  def latest_step(self):
    return max(self.saved, default=None)

  def restore(self, abstract_state, step=None):
    step = self.latest_step() if step is None else step
    put = lambda a, x: jax.device_put(x, a.sharding)
    return step, jax.tree.map(put, abstract_state, self.saved[step])

  def close(self) -> None:
    pass


@pytest.fixture
def fake_gcs(monkeypatch, tmp_path):
  """gs:// paths in a fresh in-memory bucket, checkpoints in memory (`MemoryCheckpointer`),
  and a working directory of its own, so that a gs:// path mistaken for a local one shows up
  as a folder `gs:` under `tmp_path`. Yields the bucket's store ({path: file})."""
  from experiments import run_io  # noqa: PLC0415

  monkeypatch.setattr(FakeBucketFileSystem, "store", {})
  monkeypatch.setattr(FakeBucketFileSystem, "pseudo_dirs", [""])
  monkeypatch.setattr(MemoryCheckpointer, "store", {})
  FakeBucketFileSystem.clear_instance_cache()
  for protocol in FakeBucketFileSystem.protocol:
    monkeypatch.setitem(sys.modules["fsspec.registry"]._registry, protocol, FakeBucketFileSystem)
  monkeypatch.setattr(run_io, "Checkpointer", MemoryCheckpointer)
  monkeypatch.chdir(tmp_path)
  yield FakeBucketFileSystem.store
  assert not (tmp_path / "gs:").exists(), "a gs:// path was written as a local folder"
