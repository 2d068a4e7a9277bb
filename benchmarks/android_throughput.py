"""Throughput of the AndroidEnv bridge on the launcher simulator, through the real android_env.

  python benchmarks/android_throughput.py [--steps 300] [--scale 4]

Times, in one process, after warm-up: (a) android_env alone: raw TOUCH/LIFT steps (a tap is
two); the parts of a bridge step alone (screenshot, resize, the CLIP reward at batch 1 with
the bundled phone CLIP, the ground-truth adb request); a whole `OpenAppEnv` step (random
actions); and a reset (the task's reset steps; android_env waits 0.5 s after each). Steps/s
without the CLIP = a whole step less the CLIP's time. Prints JSON: where the time goes.
"""

import argparse
import json
import os
import pathlib
import platform
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from envs.android import bridge, simulator  # noqa: E402
from envs.launcher import apps  # noqa: E402
from experiments import registry  # noqa: E402
from experiments.configs import android_common  # noqa: E402


def _ms_per(fn, n: int) -> float:
  start = time.perf_counter()
  for i in range(n):
    fn(i)
  return (time.perf_counter() - start) / n * 1e3


def main():
  p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  p.add_argument("--steps", type=int, default=300)
  p.add_argument("--scale", type=int, default=4, help="screenshot = 120x64 times this")
  args = p.parse_args()
  env = bridge.load_launcher_env(simulator.LauncherSimulatorConfig(scale=args.scale))
  config = android_common.get_config()  # the shipped config's reward, over its task's apps
  model = registry.reward_model(config, [apps.APPS[i].name for i in apps.TASKS[config.env.task]])
  task = bridge.OpenAppEnv(env, model, max_steps=10**9, seed=0)
  rng = np.random.default_rng(0)
  actions = rng.integers(0, task.num_actions, args.steps)
  task.reset()
  for a in actions[:20]:  # warm-up: compile the reward, the launcher's step and render
    task.step(a)
  sim = env._simulator
  touch = {"action_type": np.array(0, np.int32), "touch_position": np.array([0.1, 0.5], np.float32)}
  lift = {"action_type": np.array(1, np.int32), "touch_position": np.array([0.1, 0.5], np.float32)}
  results = {
    "android_env_raw_step_ms": _ms_per(
      lambda i: env.step(touch if i % 2 == 0 else lift), args.steps
    ),
    "screenshot_ms": _ms_per(lambda i: sim.get_screenshot(), args.steps),
    "ground_truth_adb_ms": _ms_per(lambda i: task.ground_truth(), args.steps),
    "resize_ms": _ms_per(lambda i: bridge.resize_frame(sim.get_screenshot()), args.steps),
  }
  frame = bridge.resize_frame(sim.get_screenshot())[None]
  goal = np.zeros(1, np.int32)
  results["clip_reward_ms"] = _ms_per(
    lambda i: np.asarray(task._reward_fn(task._params, frame, goal)[0]), args.steps
  )
  task.reset()
  results["bridge_step_ms"] = _ms_per(lambda i: task.step(actions[i]), args.steps)
  start = time.perf_counter()
  for _ in range(3):
    task.reset()
  results["reset_ms"] = (time.perf_counter() - start) / 3 * 1e3
  results["bridge_steps_per_s"] = 1e3 / results["bridge_step_ms"]
  results["bridge_steps_per_s_without_clip"] = 1e3 / (
    results["bridge_step_ms"] - results["clip_reward_ms"]
  )
  results["meta"] = {
    "steps": args.steps,
    "scale": args.scale,
    "screen": list(sim.get_screenshot().shape),
    "cpu_count": os.cpu_count(),
    "load_average": os.getloadavg()[0],
    "machine": platform.machine(),
  }
  env.close()
  print(json.dumps(results, indent=1))


if __name__ == "__main__":
  main()
