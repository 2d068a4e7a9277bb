"""Optional tracking: Weights & Biases only when `logger.wandb` asks for it (imported then and
only then, with an error that names the extra when it is missing), and TensorBoard images."""

import sys
import types

import ml_collections
import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

from experiments import run_io
from experiments.configs import playhouse_find


def _config(**logger):
  config = playhouse_find.get_config("smoke")
  config.logger.update(logger)
  return ml_collections.FrozenConfigDict(config)


def test_wandb_is_off_by_default_and_never_imported(tmp_path, monkeypatch):
  monkeypatch.delitem(sys.modules, "wandb", raising=False)
  assert run_io.wandb_tracker(_config(), tmp_path) is None
  logger = run_io.MetricsLogger(tmp_path, tracker=run_io.wandb_tracker(_config(), tmp_path))
  logger.write(0, {"x": 1.0})
  logger.close()
  assert "wandb" not in sys.modules


def test_wandb_mirrors_tensorboard_when_asked(tmp_path, monkeypatch):
  calls = []
  finished = []
  fake = types.ModuleType("wandb")
  fake.init = lambda **kwargs: (
    calls.append(kwargs) or types.SimpleNamespace(finish=lambda: finished.append(True))
  )
  monkeypatch.setitem(sys.modules, "wandb", fake)
  config = _config(wandb=True, wandb_project="p")
  logger = run_io.MetricsLogger(tmp_path / "run", tracker=run_io.wandb_tracker(config, tmp_path))
  logger.close()
  [kwargs] = calls
  assert kwargs["sync_tensorboard"] and kwargs["project"] == "p" and kwargs["entity"] is None
  assert kwargs["config"]["logger"]["wandb"] is True and finished == [True]


def test_wandb_asked_for_but_missing_names_the_extra(tmp_path, monkeypatch):
  monkeypatch.setitem(sys.modules, "wandb", None)  # an import of it fails
  tracker = run_io.wandb_tracker(_config(wandb=True), tmp_path)
  with pytest.raises(ImportError, match=r"pip install 'vlm-rewards\[wandb\]'"):
    run_io.MetricsLogger(tmp_path, tracker=tracker)


def test_a_gif_is_an_image_tensorboard_reads(tmp_path):
  frames = np.zeros((3, 6, 10, 3), np.uint8)
  gif, shape = run_io.encode_gif(frames, ["a", "b", "c"], scale=2)
  logger = run_io.MetricsLogger(tmp_path)
  logger.write_gif(7, "eval/episodes", gif, shape)
  logger.close()
  accumulator = event_accumulator.EventAccumulator(str(tmp_path / "tensorboard"))
  accumulator.Reload()
  [image] = accumulator.Images("eval/episodes")
  assert image.step == 7 and image.encoded_image_string == gif
  assert (image.height, image.width) == shape and shape[1] == 20
