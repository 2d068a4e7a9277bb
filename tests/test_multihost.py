"""Multi-host training on one machine: local processes with gloo collectives stand in for hosts.

Each process is started by `experiments.launch_local` with its own CPU devices, exactly as
hosts of a TPU pod slice run the same script. The runs use the corridor (examples/corridor_env.py)
and the tiny CLIP, so that compiling is most of their cost.
"""

import os
import pathlib
import signal
import subprocess
import sys
import time

import jax
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
import pytest
from absl import flags
from absl.testing import flagsaver

from examples import corridor_config
from experiments import distributed, pretrain_clip, run_io
from experiments import train as train_lib
from experiments.configs import pretrain_clip as pretrain_config

ROOT = pathlib.Path(__file__).resolve().parents[1]
CALLS = 12  # compiled calls of 2 updates x 8 envs x 8 steps (a few seconds in all)


def _launch(module: str, args: list[str], processes: int, devices: int) -> subprocess.Popen:
  command = [
    sys.executable,
    "-m",
    "experiments.launch_local",
    f"--processes={processes}",
    f"--devices_per_process={devices}",
    "--grace=5",
    module,
    *args,
  ]
  env = {**os.environ, "PYTHONPATH": str(ROOT)}
  return subprocess.Popen(
    command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
  )


def _finish(proc: subprocess.Popen, codes=(0,)) -> str:
  stderr = proc.communicate(timeout=600)[1]
  assert proc.returncode in codes, stderr[-3000:]
  return stderr


def _train_args(model_dir, workdir, resume=False) -> list[str]:
  args = [
    "--config=examples/corridor_config.py",
    f"--config.reward.model={model_dir}",
    f"--config.total_frames={8 * 8 * 2 * CALLS}",
    f"--workdir={workdir}",
  ]
  return args + (["--resume"] if resume else [])


def _config(model_dir) -> ml_collections.ConfigDict:
  config = corridor_config.get_config()
  config.reward.model = str(model_dir)
  config.total_frames = 8 * 8 * 2 * CALLS
  return config


def _final_params(workdir: pathlib.Path):
  """The agent of the last checkpoint, restored onto this process's one device."""
  steps = sorted(int(p.name) for p in (workdir / "checkpoints").iterdir() if p.name.isdigit())
  path = (workdir / "checkpoints" / str(steps[-1]) / "default").resolve()
  checkpointer = ocp.StandardCheckpointer()
  one = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  abstract = jax.tree.map(
    lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=one),
    checkpointer.metadata(path).item_metadata.tree,
  )
  state = checkpointer.restore(path, abstract)
  checkpointer.close()
  return steps[-1], jax.tree.leaves(state["agent"])


def _assert_rows_close(rows, reference):
  assert [r["step"] for r in rows] == [r["step"] for r in reference]
  for row, ref in zip(rows, reference, strict=True):
    assert row.keys() == ref.keys()
    for key in row.keys() - {"fps"}:
      np.testing.assert_allclose(row[key], ref[key], rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.long
def test_two_processes_train_like_one_and_resume_after_both_are_killed(tiny_clip_dirs, tmp_path):
  model = tiny_clip_dirs["flax"]
  two, one = tmp_path / "two_processes", tmp_path / "one_device"
  proc = _launch("experiments.train", _train_args(model, two), processes=2, devices=2)
  start = time.time()
  while not (two / "metrics.jsonl").exists() or len(run_io.read_metrics(two / "metrics.jsonl")) < 6:
    assert proc.poll() is None and time.time() - start < 300, proc.stderr.read()[-3000:]
    time.sleep(0.02)
  os.killpg(proc.pid, signal.SIGKILL)  # the launcher and both processes, like a lost slice
  proc.communicate()
  saved = run_io.Checkpointer(two).latest_step()
  assert saved is not None and saved < 2 * CALLS
  _finish(_launch("experiments.train", _train_args(model, two, resume=True), 2, devices=2))

  # One writer: one metrics file without duplicated rows, one set of checkpoints, plot, GIF.
  assert [p.name for p in two.rglob("metrics.jsonl")] == ["metrics.jsonl"]
  rows = run_io.read_metrics(two / "metrics.jsonl")
  assert [r["step"] for r in rows] == list(range(0, 2 * CALLS + 1, 2))
  assert (two / "returns.png").stat().st_size > 0 and (two / "eval.gif").stat().st_size > 0
  assert not list(two.rglob("*orbax-checkpoint-tmp*"))
  # The same global batch on 2 processes x 2 devices (killed and resumed) and on 1 device.
  assert jax.device_count() == 1
  _, one_device_rows = train_lib.train(_config(model), one)
  _assert_rows_close(rows, one_device_rows)
  (step, params), (step_one, params_one) = _final_params(two), _final_params(one)
  assert step == step_one == 2 * CALLS
  for a, b in zip(params, params_one, strict=True):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.long
def test_pretraining_on_two_processes_has_the_single_process_loss(tmp_path):
  overrides = dict(num_steps=2, log_every=1, checkpoint_every=2, batch_size=8, warmup_steps=1)
  data = dict(num_envs=4, episode_steps=4, pool_rollouts=1, small_house_fraction=1.0)
  args = [f"--config.{k}={v}" for k, v in overrides.items()]
  args += [f"--config.data.{k}={v}" for k, v in data.items()]
  two = tmp_path / "two_processes"
  command = ["--config=experiments/configs/pretrain_clip.py:XS,smoke", *args]
  _finish(_launch("experiments.pretrain_clip", [*command, f"--config.workdir={two}"], 2, 2))
  config = pretrain_config.get_config("XS,smoke")
  config.update(overrides, workdir=str(tmp_path / "one"))
  config.data.update(data)
  summary = pretrain_clip.run(config)
  rows, reference = (run_io.read_metrics(d / "metrics.jsonl") for d in (two, tmp_path / "one"))
  assert [r["step"] for r in rows] == [1, 2] and summary["steps"] == 2
  _assert_rows_close(rows, reference)
  assert (two / "model" / "flax_model.msgpack").exists() and (two / "summary.json").exists()


_NO_OP_SCRIPT = """
from absl import flags
import jax
from experiments import distributed
flags.FLAGS.mark_as_parsed()
distributed.initialize()
assert jax.process_count() == 1 and distributed.is_main()
assert distributed.any_process(True) and not distributed.any_process(False)
print("single process")
"""


def test_initialize_is_a_no_op_for_one_process_and_names_a_partial_manual_launch():
  # A fresh process: jax.distributed may only start before the first computation.
  out = subprocess.run(
    [sys.executable, "-c", _NO_OP_SCRIPT],
    cwd=ROOT,
    env={**os.environ, "PYTHONPATH": str(ROOT)},
    capture_output=True,
    text=True,
    timeout=120,
  )
  assert out.returncode == 0 and out.stdout.strip() == "single process", out.stderr[-2000:]
  if not flags.FLAGS.is_parsed():
    flags.FLAGS.mark_as_parsed()  # the flags' defaults, as in a run without them
  with flagsaver.flagsaver(coordinator_address="localhost:1234", num_processes=2):
    with pytest.raises(ValueError, match="needs all of --coordinator_address, --num_processes"):
      distributed.initialize()
