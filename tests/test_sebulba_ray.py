"""Sebulba's actors as Ray actors, on a local Ray (`ray.init()` on this machine): 2 actors
train the launcher simulator task through android_env, and one whose process is killed is
created again while the learner goes on."""

import json
import os
import pathlib
import signal
import threading
import time

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from experiments import run_io, sebulba  # noqa: E402
from experiments.configs import android_common  # noqa: E402

TINY_NETWORK = dict(torso="clip_embedding", hidden_size=16, lstm_size=0, goal_conditioning="film")


def _worker_pids() -> list[int]:
  """Processes of Ray actors of `RayActorWorker` (Ray titles them ray::RayActorWorker...)."""
  pids = []
  for proc in pathlib.Path("/proc").iterdir():
    try:
      cmdline = (proc / "cmdline").read_bytes()
    except (OSError, ValueError):
      continue
    if proc.name.isdigit() and cmdline.startswith(b"ray::RayActorWorker"):
      pids.append(int(proc.name))
  return pids


def _rows(path: pathlib.Path) -> list[dict]:
  return [json.loads(r) for r in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.long
def test_ray_actors_train_the_simulator_task_and_survive_a_lost_actor(tiny_clip_dirs, tmp_path):
  config = android_common.get_config("smoke")
  config.reward.model = str(tiny_clip_dirs["flax"])
  config.sebulba.update(
    actors="ray", num_actors=2, envs_per_actor=2, log_every_updates=1, checkpoint_every_updates=100
  )
  config.env.max_steps, config.unroll_length = 3, 3
  config.total_frames = 10 * 2 * 3  # 10 updates
  config.agent.network = TINY_NETWORK
  ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
  killed = {}

  def kill_one_worker():  # once the learner has made 2 updates, kill a Ray actor's process
    deadline = time.monotonic() + 300
    while len(_rows(tmp_path / "metrics.jsonl")) < 2 and time.monotonic() < deadline:
      time.sleep(0.2)
    pids = _worker_pids()
    if pids:
      killed["pid"], killed["at"] = pids[0], len(_rows(tmp_path / "metrics.jsonl"))
      os.kill(pids[0], signal.SIGKILL)

  killer = threading.Thread(target=kill_one_worker, daemon=True)
  try:
    killer.start()
    _, rows = sebulba.train(config, tmp_path)
    killer.join(timeout=1)
  finally:
    ray.shutdown()
  assert killed and killed["at"] < 10  # killed mid-run
  assert [r["step"] for r in rows] == list(range(1, 11))
  assert rows[-1]["actor_restarts"] >= 1
  assert run_io.Checkpointer(tmp_path).latest_step() == 10
  for row in rows:
    assert np.isfinite(row["loss"]) and 0 <= row["gt_return"] <= 1
