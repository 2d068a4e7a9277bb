"""Sebulba's actors as processes: shared-memory parameters, a run through android_env on the
launcher simulator with 2 actor processes, and an actor process killed mid-run."""

import json
import multiprocessing as mp
import os
import signal
import threading
import time

import jax
import numpy as np
import pytest

from experiments import run_io, sebulba, sebulba_procs
from experiments.configs import android_common

TINY_NETWORK = dict(torso="clip_embedding", hidden_size=16, lstm_size=0, goal_conditioning="film")


def test_shared_params_round_trip_and_versions():
  ctx = mp.get_context("spawn")
  params = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": (np.int32(7), np.zeros(0))}
  shared = sebulba_procs.SharedParams(params, 3, ctx)
  try:
    view = sebulba_procs.SharedParamsView(shared.handle())
    got, version = view.get()
    assert version == 3
    jax.tree.map(np.testing.assert_array_equal, got, params)
    assert view.get()[0] is got  # same version: no copy
    shared.set({"w": params["w"] + 1, "b": (np.int32(8), np.zeros(0))}, 4)
    got, version = view.get()
    assert version == 4 and int(got["b"][0]) == 8 and got["w"][1, 2] == 6.0
  finally:
    shared.close()


def test_unknown_actor_kinds_are_a_clear_error(tiny_clip_dirs, tmp_path):
  config = android_common.get_config("smoke")
  config.reward.model = str(tiny_clip_dirs["flax"])
  config.sebulba.actors = "fibres"
  with pytest.raises(ValueError, match=r"sebulba.actors must be one of .*'fibres'"):
    sebulba.train(config, tmp_path)


def _rows(path) -> list[dict]:
  if not path.exists():
    return []
  return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.long
def test_actor_processes_train_and_a_killed_actor_is_restarted(tiny_clip_dirs, tmp_path):
  config = android_common.get_config("smoke")
  config.reward.model = str(tiny_clip_dirs["flax"])
  config.sebulba.update(
    actors="processes",
    num_actors=2,
    envs_per_actor=2,
    log_every_updates=1,
    checkpoint_every_updates=100,
  )
  config.env.max_steps, config.unroll_length = 3, 3
  config.total_frames = 14 * 2 * 3  # 14 updates
  config.agent.network = TINY_NETWORK
  killed = {}

  def kill_actor_0():  # once the learner has made 2 updates, kill actor 0 outright
    deadline = time.monotonic() + 300
    while len(_rows(tmp_path / "metrics.jsonl")) < 2 and time.monotonic() < deadline:
      time.sleep(0.2)
    victim = next(p for p in mp.active_children() if p.name == "actor-0")
    killed["pid"], killed["at"] = victim.pid, len(_rows(tmp_path / "metrics.jsonl"))
    os.kill(victim.pid, signal.SIGKILL)

  killer = threading.Thread(target=kill_actor_0, daemon=True)
  killer.start()
  _, rows = sebulba.train(config, tmp_path)
  killer.join(timeout=1)
  assert killed and killed["at"] < 14  # killed mid-run
  assert [r["step"] for r in rows] == list(range(1, 15))  # every update was made
  assert rows[-1]["actor_restarts"] >= 1  # the dead actor was counted and started again
  assert run_io.Checkpointer(tmp_path).latest_step() == 14
  for row in rows:
    assert np.isfinite(row["loss"]) and 0 <= row["gt_return"] <= 1
  assert not [p for p in mp.active_children() if p.name.startswith("actor-")]  # all ended


def test_the_learner_publishes_parameters_every_params_every_updates():
  class Recorder:
    def __init__(self):
      self.versions = []

    def set(self, params, version):
      self.versions.append((int(params), version))

  class Agent:
    def acting_params(self, state):
      return state

  class Trainer:
    agent = Agent()

  config = android_common.get_config("smoke")
  config.sebulba.params_every_updates = 2
  recorder = Recorder()
  update = lambda state, trajectory: (state + 1, {"loss": 0.5})  # noqa: E731
  learner = sebulba._Learner(config, Trainer(), update, recorder, None, None)
  state = 0
  for _ in range(5):
    state, metrics = learner._apply(state, sebulba.Rollout(None, {"episodes": 1.0}, 0))
  assert recorder.versions == [(2, 2), (4, 4)]  # the state after updates 2 and 4
  assert metrics == {"loss": 0.5, "episodes": 1.0}
