"""Transfer check: a fused-trainer policy from the JAX launcher, run through real android_env.

  python -m studies.android.android_transfer --workdir=RUN [--episodes=256] [--envs=16] [--pool=1]

RUN is a workdir of `experiments/train.py` on the launcher (e.g. `launcher_common.py`). Its
latest checkpoint's policy plays the same goals twice: in the JAX launcher (the fused trainer's
own evaluation) and through DeepMind's android_env on the launcher simulator
(`envs/android/`: android_env's coordinator and task manager, touch events, adb ground truth),
with the same reward model, episode limit and wallpaper pool. If the two drawings, action
mappings and ground truths agree, the ground-truth success rates agree within sampling noise.
The random policy is measured on both sides too. Both sides draw fresh layouts (by key and by
seed), so they agree in distribution, not episode by episode.

Prints one JSON object: per side and policy, the success rate (an episode succeeds if the goal
app was in the foreground at any step before it ended, as in evaluation), its 95% Wilson score
interval, the VLM return and the episodes; and each difference with its 95% interval
(Newcombe's hybrid score interval, from statsmodels). Both stay within the possible range.
"""

import json
import math
import pathlib

import jax
import ml_collections
import numpy as np
from absl import app, flags, logging

from envs import host
from envs.android import bridge, simulator
from envs.launcher import layout
from experiments import flags_lib, run_io, sebulba
from experiments import train as train_lib
from experiments.analysis import intervals

_EPISODES = flags.DEFINE_integer("episodes", 256, "Episodes per side and policy.")
_ENVS = flags.DEFINE_integer("envs", 16, "android_env environments stepped at once.")
_POOL = flags.DEFINE_integer("pool", 1, "Wallpaper pool: 0 training, 1 held-out.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the android_env side's layouts and actions.")


def load_run(workdir: pathlib.Path, eval_envs: int):
  """(Run, train state) of a workdir's latest checkpoint, `eval_envs` evaluation episodes."""
  config_path = workdir / "config.json"
  if not config_path.is_file():
    raise FileNotFoundError(
      f"{config_path} not found: --workdir must be a run of experiments/train."
    )
  config = ml_collections.ConfigDict(json.loads(config_path.read_text()))
  if config.env.name != "launcher":
    raise ValueError(
      f"{workdir} is a run on {config.env.name!r}; the transfer check needs 'launcher'."
    )
  config.eval_envs = eval_envs
  run = train_lib.Run(config)
  checkpointer = run_io.Checkpointer(workdir)
  try:
    _, state = checkpointer.restore(run.abstract_state)
  finally:
    checkpointer.close()
  return run, state


def launcher_envs(run, num_envs: int, pool: int, seed: int) -> host.HostEnvs:
  """`num_envs` android_env environments on the launcher simulator, with the run's launcher
  settings, reward model and step limit."""
  reward_model, e = run.trainer.reward_model, run.config.env
  envs = []
  for i in range(num_envs):
    sim = simulator.LauncherSimulatorConfig(
      seed=seed * 10_007 + i, pool=pool, num_pages=e.num_pages, occupancy=e.occupancy
    )
    envs.append(
      bridge.OpenAppEnv(
        bridge.load_launcher_env(sim), reward_model, max_steps=e.max_steps, seed=seed * 10_007 + i
      )
    )
  return host.HostEnvs(envs, frame_shape=(layout.H, layout.W, 3), name="transfer")


def android_episodes(run, fns, batch, params, episodes, seed, random_policy=False):
  """(success, VLM return) of `episodes` fresh episodes through android_env (`batch`, from
  `launcher_envs`), each environment playing the same number of episodes (no bias towards
  short ones); `fns` are `sebulba.actor_functions(run.trainer)`."""
  rp, num_envs = run.trainer.reward_model.params, len(batch.envs)
  per_env, counts, results = math.ceil(episodes / num_envs), np.zeros(num_envs, int), []
  rng, key = np.random.default_rng(seed), jax.random.key(seed)
  actor = fns.init(rp, batch.begin())
  while (counts < per_env).any():
    key, k = jax.random.split(key)
    action, core = fns.act(params, k, actor.inputs, actor.core_state)
    actions, logits = action.actions, action.logits
    if random_policy:
      actions = rng.integers(0, logits.shape[-1], num_envs).astype(np.int32)
      logits = np.zeros(logits.shape, np.float32)
    tr = batch.step(actions, actor.needs_reset)
    actor, out = fns.finish(rp, actor, tr, actions, logits, core)
    ep = jax.device_get(out.episode)
    for b in np.flatnonzero(ep.done):
      if counts[b] < per_env:
        results.append((float(ep.stats.success[b]), float(ep.stats.return_[b])))
      counts[b] += 1
  success, vlm = np.array(results[:episodes]).T
  return success, vlm


def _rate(p: float, n: int, vlm_return: float) -> dict:
  """A success rate `p` of `n` episodes with its 95% Wilson score interval."""
  ci = list(intervals.rate_interval(round(p * n), n))
  return {"success": p, "ci95": ci, "vlm_return": vlm_return, "episodes": n}


def _difference(a: dict, b: dict) -> dict:
  """Rate `b` minus rate `a` with its 95% interval (Newcombe's hybrid score interval)."""
  count = lambda rate: round(rate["success"] * rate["episodes"])
  ci = intervals.difference_interval(count(b), b["episodes"], count(a), a["episodes"])
  return {"difference": b["success"] - a["success"], "ci95": list(ci)}


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # orbax and android_env log every step at INFO
  workdir = flags_lib.WORKDIR.value
  if workdir is None:
    raise app.UsageError("--workdir is required: a launcher run of experiments/train.")
  run, state = load_run(pathlib.Path(workdir), _EPISODES.value)
  params = run.trainer.agent.acting_params(state.agent)
  out = {"workdir": workdir, "update": int(state.update), "pool": _POOL.value}
  fns, n = sebulba.actor_functions(run.trainer), _EPISODES.value
  batch = launcher_envs(run, _ENVS.value, _POOL.value, _SEED.value)
  try:
    for name, random_policy in (("trained", False), ("random", True)):
      jax_side = jax.device_get(run.evaluate(state, _POOL.value, random_policy=random_policy))
      jax_rate = _rate(float(jax_side["gt_success"]), n, float(jax_side["vlm_return"]))
      success, vlm = android_episodes(run, fns, batch, params, n, _SEED.value, random_policy)
      android_rate = _rate(float(success.mean()), len(success), float(vlm.mean()))
      out[name] = {
        "jax_launcher": jax_rate,
        "android_env": android_rate,
        "android_minus_jax": _difference(jax_rate, android_rate),
      }
  finally:
    batch.close()
  print(json.dumps(out, indent=1))


if __name__ == "__main__":
  app.run(main)
