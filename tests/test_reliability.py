"""Runs never lose work: workdir ownership, resume checks, preemption, metrics, bad inputs."""

import copy
import json
import os
import pathlib
import signal
import subprocess
import sys

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
from absl import app
from jax.experimental import checkify

from agents import impala
from envs.playhouse import PlayhouseConfig
from experiments import run_io
from experiments import train as train_lib
from experiments import trainer as trainer_lib
from experiments.configs import playhouse_find
from vlm_rewards.reward_model import RewardModel

ROOT = pathlib.Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- workdir


def test_fresh_run_refuses_an_occupied_workdir_and_restart_moves_it_aside(tmp_path):
  config = playhouse_find.get_config("smoke")
  run_io.Workdir(tmp_path / "run", config).close()
  (tmp_path / "run" / "metrics.jsonl").write_text('{"step": 0}\n')
  (tmp_path / "run" / "returns.png").write_bytes(b"old plot")
  with pytest.raises(FileExistsError, match="holds another run .*--resume.*--restart"):
    run_io.Workdir(tmp_path / "run", config)
  owner = run_io.Workdir(tmp_path / "run", config, restart=True)
  owner.close()
  assert (owner.moved_to / "metrics.jsonl").read_text() == '{"step": 0}\n'  # nothing deleted
  assert (owner.moved_to / "returns.png").read_bytes() == b"old plot"  # nor overwritten later
  assert not (tmp_path / "run" / "metrics.jsonl").exists()
  assert json.loads((tmp_path / "run" / "config.json").read_text())["seed"] == 0


def _fake_checkpoint(workdir, step: int = 4):
  (workdir / "checkpoints" / str(step)).mkdir(parents=True)  # all that Workdir looks at


def test_a_lock_keeps_a_second_process_out(tmp_path):
  config = playhouse_find.get_config("smoke")
  first = run_io.Workdir(tmp_path, config)
  _fake_checkpoint(tmp_path)
  with pytest.raises(RuntimeError, match="Another process is training"):
    run_io.Workdir(tmp_path, config, resume=True)
  first.close()
  run_io.Workdir(tmp_path, config, resume=True).close()


def test_resume_checks_the_config_and_records_allowed_changes(tmp_path):
  config = playhouse_find.get_config("smoke")
  run_io.Workdir(tmp_path, config).close()
  _fake_checkpoint(tmp_path)
  changed = playhouse_find.get_config("smoke")
  changed.seed, changed.reward.threshold = 1, 0.5
  with pytest.raises(ValueError, match=r"reward.threshold: 0.9 -> 0.5; seed: 0 -> 1"):
    run_io.Workdir(tmp_path, changed, resume=True)
  longer = playhouse_find.get_config("smoke")
  longer.total_frames *= 2
  run_io.Workdir(tmp_path, longer, resume=True).close()
  change = json.loads((tmp_path / "config_changes.jsonl").read_text())
  assert change == {"total_frames": [384, 768]}


def test_resume_drops_rows_after_the_checkpoint_and_a_torn_line(tmp_path):
  rows = "".join(json.dumps({"step": s, "x": s}) + "\n" for s in (0, 2, 4, 6))
  (tmp_path / "metrics.jsonl").write_text(rows + '{"step": 8, "x"')
  logger = run_io.MetricsLogger(tmp_path, keep_until=4)
  logger.write(6, {"x": 60})
  logger.close()
  assert [(r["step"], r["x"]) for r in run_io.read_metrics(tmp_path / "metrics.jsonl")] == [
    (0, 0),
    (2, 2),
    (4, 4),
    (6, 60),
  ]


def test_corrupt_latest_checkpoint_falls_back_to_the_previous_one(tmp_path):
  state = {"w": jnp.arange(4.0)}
  checkpointer = run_io.Checkpointer(tmp_path, keep=3)
  checkpointer.save(1, state)
  checkpointer.save(2, jax.tree.map(lambda x: x + 1, state))
  for f in (checkpointer.directory / "2").rglob("*"):
    if f.is_file():
      f.write_bytes(b"garbage")
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), state)
  step, restored = checkpointer.restore(abstract)
  assert step == 1 and np.array_equal(restored["w"], np.arange(4.0))
  for f in (checkpointer.directory / "1").rglob("*"):
    if f.is_file():
      f.write_bytes(b"garbage")
  with pytest.raises(ValueError, match="nothing was deleted"):
    checkpointer.restore(abstract)
  checkpointer.close()
  assert (checkpointer.directory / "2").exists()


def test_only_a_resumed_owner_removes_the_unfinished_save_of_a_killed_run(tmp_path):
  checkpointer = run_io.Checkpointer(tmp_path)
  checkpointer.save(1, {"w": jnp.arange(3.0)})
  checkpointer.close()
  partial = tmp_path / "checkpoints" / "2.orbax-checkpoint-tmp-1700000000"
  (partial / "default").mkdir(parents=True)  # what SIGKILL during a save leaves
  reader = run_io.Checkpointer(tmp_path)
  assert reader.latest_step() == 1 and partial.exists()  # a reader beside a live run: kept
  reader.close()
  owner = run_io.Checkpointer(tmp_path, clean_partial=True)  # cleans in the background ...
  assert owner.latest_step() == 1
  owner.save(3, {"w": jnp.arange(3.0)})  # ... finished before its first save
  assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["1", "3"]
  owner.close()


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
  "key, value",
  [
    ("checkpoints_to_keep", 0),
    ("log_every_calls", 0),
    ("checkpoint_every_calls", 0),
    ("eval_every_calls", 0),
    ("eval_envs", 0),
  ],
)
def test_bad_run_values_are_named_before_compiling(key, value):
  config = playhouse_find.get_config("smoke")
  config[key] = value
  with pytest.raises(ValueError, match=f"{key} must be >= 1"):
    trainer_lib.check_config(config)


@pytest.mark.parametrize(
  "field, value, message",
  [("families", ("fly",), "families a non-empty subset"), ("height", 7, "height even")],
)
def test_bad_env_values_are_named(field, value, message):
  with pytest.raises(ValueError, match=message):
    PlayhouseConfig(**{field: value})


def test_config_argument_typo_and_negative_learning_rate_fail_clearly():
  with pytest.raises(ValueError, match="Unknown config argument 'smok'"):
    playhouse_find.get_config("smok")
  with pytest.raises(ValueError, match="learning_rate must be > 0"):
    impala.ImpalaConfig(learning_rate=-1e-3)


def test_divergence_stops_like_a_nan_and_says_no_checkpoint_yet(tmp_path):
  config = playhouse_find.get_config("smoke")
  fake_run = type("FakeRun", (), {"config": config})()
  checkpointer = run_io.Checkpointer(tmp_path)
  with pytest.raises(FloatingPointError, match="diverged.*no checkpoint was saved yet"):
    train_lib._check_loss(fake_run, {"loss_max": 1.0, "loss": -1e20}, 4, checkpointer)
  train_lib._check_loss(fake_run, {"loss_max": 1.0, "loss": 0.5}, 4, checkpointer)
  checkpointer.close()


def test_goal_ids_out_of_range_and_a_single_string_goal_list(tiny_clip):
  model = RewardModel(tiny_clip, ["a red ball", "a blue cube", "a car"])
  frames = np.zeros((1, 32, 32, 3), np.uint8)
  with pytest.raises(ValueError, match=r"goal_ids must be in \[0, 3\).*100"):
    model.score(model.params, frames, np.array([100], np.int32))
  with pytest.raises(ValueError, match="single string 'a red ball'.*\\[goal\\]"):
    RewardModel(tiny_clip, "a red ball")


@pytest.mark.parametrize("kind", ["vlm", "cosine"])
def test_goal_ids_out_of_range_under_jit_score_zero_with_nan_probability(tiny_clip, kind):
  """Inside jit nothing can raise, and JAX indexing would score id 3 (clamped) and id -1
  (wrapped) as goal 2. Their rows get reward 0 and probability NaN; the others are unchanged.
  Threshold 0 makes every valid row's Eq. 2 reward 1, so a row scored as another goal shows."""
  model = RewardModel(tiny_clip, ["a red ball", "a blue cube", "a car"], threshold=0.0, kind=kind)
  frames = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
  valid_ids = np.array([0, 2, 1, 2, 2], np.int32)
  bad_ids = np.array([0, 3, 1, -1, 2], np.int32)
  reward_fn = jax.jit(model.reward_fn)
  reward_ok, prob_ok = reward_fn(model.params, frames, valid_ids)
  reward, prob = reward_fn(model.params, frames, bad_ids)
  bad = np.array([False, True, False, True, False])
  assert np.all(np.asarray(reward_ok) != 0)  # so that 0 below is the mask, not the score
  np.testing.assert_array_equal(reward[bad], 0.0)
  assert np.all(np.isnan(prob[bad]))
  np.testing.assert_array_equal(reward[~bad], reward_ok[~bad])
  np.testing.assert_array_equal(prob[~bad], prob_ok[~bad])


def test_checked_reward_fn_names_out_of_range_goal_ids_under_jit(tiny_clip):
  model = RewardModel(tiny_clip, ["a red ball", "a blue cube", "a car"])
  frames = np.zeros((3, 32, 32, 3), np.uint8)
  checked = jax.jit(model.checked_reward_fn)
  err, (reward, prob) = checked(model.params, frames, np.array([0, 7, -2], np.int32))
  with pytest.raises(checkify.JaxRuntimeError, match=r"goal_ids must be in \[0, 3\).* -2 to 7"):
    err.throw()
  assert np.isnan(prob[1]) and reward[1] == 0.0
  ids = np.array([0, 1, 2], np.int32)
  err, out = checked(model.params, frames, ids)
  assert err.get() is None
  chex.assert_trees_all_equal(out, jax.jit(model.reward_fn)(model.params, frames, ids))


def test_benchmarks_write_no_results_without_out(monkeypatch):
  sys.path.insert(0, str(ROOT / "benchmarks"))
  import train_throughput  # noqa: PLC0415

  monkeypatch.setattr(sys, "argv", ["train_throughput.py"])
  assert train_throughput.parse_args().out is None


# ----------------------------------------------------------------------------- signals


def _strip(rows):
  return [{k: v for k, v in r.items() if k != "fps"} for r in rows]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_saves_the_call_in_flight_and_resume_is_exact(tiny_run, tmp_path, sig):
  """SIGTERM (a preempted TPU) or Ctrl-C during the second compiled call: the run finishes
  that call, saves it (no periodic checkpoint is due), says how to resume, and a resume gives
  the parameters and metrics rows of an uninterrupted run. Killing a run outright (SIGKILL) and
  resuming it is tested on two processes in test_multihost.py."""
  full, full_rows = train_lib.train(tiny_run.config, tmp_path / "full", run=tiny_run)
  chunk, calls = tiny_run.chunk, []

  def chunk_then_signal(*args):
    calls.append(None)
    if len(calls) == 2:
      os.kill(os.getpid(), sig)  # arrives while the call is in flight
    return chunk(*args)

  previous = signal.getsignal(sig)
  tiny_run.chunk = chunk_then_signal
  try:
    with pytest.raises(run_io.Interrupted, match=f"Stopped by {sig.name} at update 4.*--resume"):
      train_lib.train(tiny_run.config, tmp_path / "split", run=tiny_run)
  finally:
    tiny_run.chunk = chunk
  assert signal.getsignal(sig) is previous  # the run's handler is gone
  assert tiny_run.config.checkpoint_every_calls == 3  # so update 4 was saved by the signal
  assert run_io.Checkpointer(tmp_path / "split").latest_step() == 4
  resumed, rows = train_lib.train(tiny_run.config, tmp_path / "split", resume=True, run=tiny_run)
  assert _strip(rows) == _strip(full_rows)
  for a, b in zip(jax.tree.leaves(full.agent), jax.tree.leaves(resumed.agent), strict=True):
    np.testing.assert_array_equal(a, b)


def test_analysis_scripts_refuse_to_overwrite_results_without_the_flag(tmp_path):
  results = tmp_path / "prompts.json"
  run_io.refuse_overwrite(results, overwrite=False)  # nothing there yet
  results.write_text("{}")
  with pytest.raises(app.UsageError, match="holds earlier results: pass --overwrite"):
    run_io.refuse_overwrite(results, overwrite=False)
  run_io.refuse_overwrite(results, overwrite=True)
  assert results.read_text() == "{}"  # the check itself never touches the file


# ----------------------------------------------------------------------------- round two


def test_workdir_paths_and_flags_that_cannot_work_are_refused_before_anything_is_written(
  tmp_path, monkeypatch
):
  config = playhouse_find.get_config("smoke")
  (tmp_path / "file").write_text("x")
  with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
    run_io.Workdir(tmp_path / "file", config)
  with pytest.raises(NotADirectoryError, match="lies under .*file, which is a file"):
    run_io.Workdir(tmp_path / "file" / "run", config)
  with pytest.raises(ValueError, match="--resume and --restart contradict"):
    run_io.Workdir(tmp_path / "run", config, resume=True, restart=True)
  with pytest.raises(FileNotFoundError, match="no run to continue .*Start without --resume"):
    run_io.Workdir(tmp_path / "empty", config, resume=True)
  assert not (tmp_path / "empty").exists() and not (tmp_path / "run").exists()
  # Root may write anywhere here, so a read-only folder is what os.access reports.
  real_access = os.access
  monkeypatch.setattr(os, "access", lambda p, m: str(p) != str(tmp_path) and real_access(p, m))
  with pytest.raises(PermissionError, match="cannot be written by this user"):
    run_io.Workdir(tmp_path / "new", config)


def test_what_a_workdir_holds_decides_between_fresh_resume_and_restart(tmp_path):
  config = playhouse_find.get_config("smoke")
  run_io.Workdir(tmp_path, config).close()  # a start-up that never logged: config.json only
  run_io.Workdir(tmp_path, config).close()  # ... holds no work, so a fresh run takes it
  (tmp_path / "metrics.jsonl").write_text('{"step": 0}\n')  # rows, but every checkpoint gone
  with pytest.raises(FileNotFoundError, match="no checkpoint to continue from.*--restart"):
    run_io.Workdir(tmp_path, config, resume=True)
  _fake_checkpoint(tmp_path)
  (tmp_path / "config.json").unlink()
  with pytest.raises(FileNotFoundError, match="config.json is missing.*--unchecked_config"):
    run_io.Workdir(tmp_path, config, resume=True)
  run_io.Workdir(tmp_path, config, resume=True, unchecked_config=True).close()
  # The divergence message's advice is a change that --resume accepts.
  lower = playhouse_find.get_config("smoke")
  lower.agent.learner.learning_rate /= 10
  lower.agent.learner.max_grad_norm /= 2
  run_io.Workdir(tmp_path, lower, resume=True).close()
  assert "agent.learner.learning_rate" in (tmp_path / "config_changes.jsonl").read_text()


def test_a_resume_keeps_the_schedule_horizon_of_the_run_it_continues(tmp_path):
  config = playhouse_find.get_config("smoke")
  fresh = trainer_lib.resolve_schedule(config)
  assert fresh.schedule_frames == config.total_frames
  run_io.Workdir(tmp_path, fresh).close()
  longer = playhouse_find.get_config("smoke")
  longer.total_frames *= 4
  resumed = trainer_lib.resolve_schedule(longer, tmp_path)
  assert resumed.schedule_frames == config.total_frames  # not the new total
  assert trainer_lib.schedule_updates(resumed) == trainer_lib.num_updates(config)
  assert trainer_lib.num_updates(resumed) == 4 * trainer_lib.num_updates(config)
  _fake_checkpoint(tmp_path)
  run_io.Workdir(tmp_path, resumed, resume=True).close()  # total_frames may change
  other = playhouse_find.get_config("smoke")
  other.schedule_frames = 7 * config.total_frames
  with pytest.raises(ValueError, match="schedule_frames=2688 on resume.*over 384 frames"):
    trainer_lib.resolve_schedule(other, tmp_path)
  # A run saved before schedule_frames existed is on its total_frames' schedule.
  saved = json.loads((tmp_path / "config.json").read_text())
  del saved["schedule_frames"]
  (tmp_path / "config.json").write_text(json.dumps(saved))
  assert trainer_lib.resolve_schedule(longer, tmp_path).schedule_frames == 384 * 4
  run_io.Workdir(tmp_path, trainer_lib.resolve_schedule(longer, tmp_path), resume=True).close()


def _with(run, **values):
  """`run` with run-time config values changed (none that its compiled call depends on)."""
  other = copy.copy(run)
  other.config = ml_collections.FrozenConfigDict({**run.config.to_dict(), **values})
  return other


def test_checkpoint_and_evaluation_schedules_do_not_wait_for_logging(tiny_run, tmp_path):
  run = _with(
    tiny_run,
    log_every_calls=2,
    eval_every_calls=3,
    checkpoint_every_calls=3,
    checkpoints_to_keep=5,
    gif_every_evals=0,
  )
  _, rows = train_lib.train(run.config, tmp_path, run=run)
  assert run_io.checkpoint_steps(tmp_path) == [6, 8]  # calls 3 and 4 (the last)
  evaluated = [r["step"] for r in rows if "eval/heldout_gt_success" in r]
  assert [r["step"] for r in rows] == [0, 4, 6, 8] and evaluated == [0, 6, 8]


def test_a_corrupt_latest_checkpoint_is_set_aside_and_the_run_finishes_as_if_whole(
  tiny_run, tmp_path, capsys
):
  _, full_rows = train_lib.train(tiny_run.config, tmp_path / "full", run=tiny_run)
  split = tmp_path / "split"
  train_lib.train(tiny_run.config, split, run=tiny_run, stop_after_calls=2)
  train_lib.train(tiny_run.config, split, run=tiny_run, resume=True, stop_after_calls=3)
  assert run_io.checkpoint_steps(split) == [4, 6]
  for f in (split / "checkpoints" / "6").rglob("*"):
    if f.is_file():
      f.write_bytes(b"garbage")
  capsys.readouterr()
  _, rows = train_lib.train(tiny_run.config, split, run=tiny_run, resume=True)
  err = capsys.readouterr().err
  assert "unreadable checkpoint(s) of step 6 (moved to" in err and "Traceback" not in err
  assert len(err.strip().splitlines()) == 1  # one line; the errors are in the log file
  assert "Traceback" in (split / "restore_errors.log").read_text()
  assert [p.name.split("-")[0] for p in (split / "checkpoints.corrupt").iterdir()] == ["6"]
  assert run_io.checkpoint_steps(split)[-1] == 8
  assert _strip(rows) == _strip(full_rows)
  # Resuming the finished run changes nothing and returns it.
  metrics = (split / "metrics.jsonl").read_text()
  _, again = train_lib.train(tiny_run.config, split, run=tiny_run, resume=True)
  assert "finished at update 8" in capsys.readouterr().err
  assert _strip(again) == _strip(rows) and (split / "metrics.jsonl").read_text() == metrics


def test_rows_lost_from_a_cut_metrics_file_are_named_on_resume(tiny_run, tmp_path, capsys):
  train_lib.train(tiny_run.config, tmp_path, run=tiny_run, stop_after_calls=3)
  text = (tmp_path / "metrics.jsonl").read_text()
  (tmp_path / "metrics.jsonl").write_text(text[: text.index('{"step": 4')] + '{"step": 4, "fr')
  capsys.readouterr()
  _, rows = train_lib.train(tiny_run.config, tmp_path, run=tiny_run, resume=True)
  assert "has lost 2 row(s) that the run logged before its checkpoint (steps 4, 6)" in (
    capsys.readouterr().err
  )
  assert [r["step"] for r in rows] == [0, 2, 8]


def test_a_signal_during_start_up_saves_a_resumable_run(tiny_run, tmp_path):
  """SIGTERM while the run evaluates its untrained policy (before the loop): the run takes
  its first call, saves it and stops; the resume gives an uninterrupted run's rows."""
  _, full_rows = train_lib.train(tiny_run.config, tmp_path / "full", run=tiny_run)
  run = copy.copy(tiny_run)
  evaluate = run.eval_metrics

  def signal_then_evaluate(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    run.eval_metrics = evaluate
    return evaluate(*args, **kwargs)

  run.eval_metrics = signal_then_evaluate
  with pytest.raises(run_io.Interrupted, match="SIGTERM at update 2"):
    train_lib.train(run.config, tmp_path / "split", run=run)
  _, rows = train_lib.train(tiny_run.config, tmp_path / "split", run=tiny_run, resume=True)
  assert _strip(rows) == _strip(full_rows)


def test_a_call_that_cannot_fit_is_refused_with_the_estimate_and_the_limit(tiny_run):
  need = train_lib.check_memory(tiny_run)
  assert need > 0
  with pytest.raises(MemoryError, match=r"needs about .* GiB per device .* GiB is available"):
    train_lib.check_memory(tiny_run, limit=need // 2)


def test_command_line_mistakes_get_one_line_each():
  def command(*args, module="experiments.train"):
    out = subprocess.run(
      [sys.executable, "-m", module, *args],
      cwd=ROOT,
      capture_output=True,
      text=True,
      timeout=300,
    )
    lines = out.stderr.strip().splitlines()
    assert not any("Traceback" in x for x in lines), out.stderr
    return out.returncode, lines[-1]

  smoke = "--config=experiments/configs/playhouse_find.py:smoke"
  code, line = command(smoke, "--workdir=/tmp/x", "--config.agent.learner.learnin_rate=1")
  assert code == 2 and line.endswith("did you mean --config.agent.learner.learning_rate?")
  code, line = command(smoke, "--workdir=/nonexistent/x", "--resume", "--restart")
  assert code == 1 and "--resume and --restart contradict" in line
  pretraining = "--config=experiments/configs/pretrain_clip.py:XS,smok"
  code, line = command(pretraining, module="experiments.pretrain_clip")
  assert code == 2 and "Unknown config argument ['smok']" in line
