"""A cloud workdir (gs://) stays a cloud path: training writes through `etils.epath` into a
fake in-memory bucket (`fake_gcs` in conftest.py), and nothing lands in a local folder named
`gs:`. Sweeps and pretraining into a gs:// workdir: tests/test_sweep.py, tests/test_pretrain.py."""

import json

import pytest
from etils import epath

from experiments import paths, run_io
from experiments import train as train_lib


def test_paths_keep_uris_and_resolve_local_folders(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  assert str(paths.as_path("gs://bucket/run")) == "gs://bucket/run"
  assert paths.as_path("runs/x") == tmp_path / "runs" / "x"
  assert paths.is_local("runs/x") and not paths.is_local("s3://bucket/x")


@pytest.mark.long
def test_train_writes_every_output_into_a_gs_workdir(tiny_run, fake_gcs):
  workdir = "gs://bucket/runs/find"
  _, rows = train_lib.train(tiny_run.config, workdir, run=tiny_run)
  run = epath.Path(workdir)
  assert run_io.read_metrics(run / "metrics.jsonl") == rows and rows[-1]["frames"] == 512
  assert json.loads((run / "config.json").read_text())["seed"] == tiny_run.config.seed
  assert (run / "returns.png").read_bytes()[:4] == b"\x89PNG"
  assert (run / "eval.gif").read_bytes()[:6] == b"GIF89a"
  assert len(list((run / "tensorboard").iterdir())) == 1
  assert run_io.Checkpointer(workdir).latest_step() == 8  # the in-memory checkpointer
  with pytest.raises(FileExistsError, match="gs://bucket/runs/find holds another run"):
    train_lib.train(tiny_run.config, workdir, run=tiny_run)
  _, resumed = train_lib.train(tiny_run.config, workdir, run=tiny_run, resume=True)
  assert resumed == rows  # nothing left to train; no row duplicated
