"""The sweep runner: seeds vmapped in one compiled call, resumable grids, aggregation."""

import json

import numpy as np
import pytest
from etils import epath

from experiments import run_io
from experiments import sweep as sweep_lib
from experiments import train as train_lib

SEEDS = (0, 1, 2)


def _strip(rows):
  return [{k: v for k, v in r.items() if k != "fps"} for r in rows]


@pytest.fixture(scope="module")
def seeds_run(tiny_run):
  return sweep_lib.SeedsRun(tiny_run.config, SEEDS)


def test_three_seeds_in_one_call_equal_three_separate_runs(tiny_run, seeds_run, tmp_path):
  calls = 2  # of the run's 4: the initial evaluation, 2 logged chunks, the final evaluation
  state, rows = train_lib.train(
    tiny_run.config, tmp_path / "vmapped", run=seeds_run, stop_after_calls=calls
  )
  assert np.asarray(state.update).tolist() == [4, 4, 4]
  assert len(rows) == len(SEEDS)
  for seed, vmapped in zip(SEEDS, rows, strict=True):
    _, separate = train_lib.train(
      tiny_run.config,
      tmp_path / f"seed_{seed}",
      run=tiny_run.with_seed(seed),
      stop_after_calls=calls,
    )
    a, b = _strip(vmapped), _strip(separate)
    assert [sorted(r) for r in a] == [sorted(r) for r in b]
    for ra, rb in zip(a, b, strict=True):
      for k in ra:
        np.testing.assert_allclose(ra[k], rb[k], rtol=1e-4, atol=1e-6, err_msg=f"seed {seed} {k}")
  losses = [[r["loss"] for r in seed_rows if "loss" in r] for seed_rows in rows]
  assert losses[0] != losses[1] != losses[2]  # the seeds are different runs


def test_sweep_skips_finished_groups_resumes_and_aggregates(
  tiny_run, seeds_run, tmp_path, monkeypatch
):
  sweep = {"seeds": SEEDS, "points": [{"name": "tiny"}], "seeds_per_call": 3}
  # The fixture's compiled run stands in for the one run_sweep would build (same config).
  monkeypatch.setattr(sweep_lib, "SeedsRun", lambda config, seeds: seeds_run)
  train_lib.train(
    tiny_run.config, tmp_path / "tiny" / "seeds_0_1_2", run=seeds_run, stop_after_calls=2
  )
  results = sweep_lib.run_sweep(tiny_run.config, sweep, tmp_path)  # resumes from call 2
  group = tmp_path / "tiny" / "seeds_0_1_2"
  rows = [json.loads(x) for x in (group / "seed_1" / "metrics.jsonl").read_text().splitlines()]
  assert [r["step"] for r in rows] == [0, 2, 4, 6, 8]
  final = results["tiny"]["final"]["eval/heldout_gt_success"]
  last = [run_io.read_metrics(group / f"seed_{s}" / "metrics.jsonl")[-1] for s in SEEDS]
  assert final["per_seed"] == [r["eval/heldout_gt_success"] for r in last]
  assert final["mean"] == pytest.approx(np.mean(final["per_seed"]))
  assert min(final["per_seed"]) <= final["ci95"][0] <= final["mean"] <= final["ci95"][1]
  assert final["ci95"][1] <= max(final["per_seed"])
  assert (tmp_path / "results.png").stat().st_size > 0
  assert all((group / f"seed_{s}" / "returns.png").stat().st_size > 0 for s in SEEDS)

  def no_training(config, workdir, **kwargs):
    raise AssertionError(f"trained {workdir}")

  monkeypatch.setattr(train_lib, "train", no_training)
  assert sweep_lib.run_sweep(tiny_run.config, sweep, tmp_path) == results
  with pytest.raises(FileExistsError, match="holds another sweep"):
    sweep_lib.run_sweep(tiny_run.config, {**sweep, "seeds": (0, 1)}, tmp_path)
  changed = {**sweep, "points": [{"name": "tiny", "reward.threshold": 0.5}]}
  with pytest.raises(FileExistsError, match="holds another sweep"):
    sweep_lib.run_sweep(tiny_run.config, changed, tmp_path)
  # A sweep may grow: a point added at the end is trained, the finished one skipped.
  grown = {**sweep, "points": [*sweep["points"], {"name": "more"}]}
  with pytest.raises(AssertionError, match="trained .*more"):
    sweep_lib.run_sweep(tiny_run.config, grown, tmp_path)


def test_bad_sweeps_are_refused_with_the_reason(tiny_run, tmp_path):
  path = tmp_path / "s.py"
  path.write_text("def get_sweep():\n  return {'seeds': (0, 0)}\n")
  with pytest.raises(ValueError, match="distinct"):
    sweep_lib.load_sweep(path)
  with pytest.raises(ValueError, match="no field 'reward.treshold'"):
    sweep_lib.point_config(tiny_run.config, {"reward.treshold": 0.5})
  with pytest.raises(FileNotFoundError, match="no such file"):
    sweep_lib.load_sweep(tmp_path / "missing.py")
  config = sweep_lib.point_config(tiny_run.config, {"reward.threshold": 0.5, "name": "x"})
  assert config.reward.threshold == 0.5 and tiny_run.config.reward.threshold == 0.9


def test_a_sweep_runs_in_a_gs_workdir(tiny_run, seeds_run, fake_gcs, monkeypatch):
  """Every file of the grid goes to the (fake, in-memory) bucket: conftest's `fake_gcs`."""
  sweep = {"seeds": SEEDS, "points": [{"name": "tiny"}], "seeds_per_call": 3}
  monkeypatch.setattr(sweep_lib, "SeedsRun", lambda config, seeds: seeds_run)
  results = sweep_lib.run_sweep(tiny_run.config, sweep, "gs://bucket/sweep")
  root = epath.Path("gs://bucket/sweep")
  group = root / "tiny" / "seeds_0_1_2"
  assert (group / "done.json").exists() and results["tiny"]["seeds"] == list(SEEDS)
  rows = [run_io.read_metrics(group / f"seed_{s}" / "metrics.jsonl") for s in SEEDS]
  assert results["tiny"]["final"]["eval/heldout_gt_success"]["per_seed"] == [
    r[-1]["eval/heldout_gt_success"] for r in rows
  ]
  assert json.loads((root / "results.json").read_text()) == json.loads(json.dumps(results))
  assert all((group / f"seed_{s}" / "returns.png").exists() for s in SEEDS)
  assert (root / "results.png").read_bytes()[:4] == b"\x89PNG"
