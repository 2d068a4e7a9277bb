"""Helpers of the analysis scripts (no flags, so any script can import them)."""

import functools
import hashlib
import json
import pathlib
import types

import jax
import ml_collections

from experiments import run_io
from experiments import train as train_lib
from experiments import trainer as trainer_lib


def source_hash(*packages: types.ModuleType) -> str:
  """Short hash of the packages' Python sources: a seed gives the same frames only within it."""
  files = sorted(p for m in packages for p in pathlib.Path(m.__file__).parent.glob("*.py"))
  return hashlib.sha1(b"".join(p.read_bytes() for p in files)).hexdigest()[:10]


def load_policy(run_dir: pathlib.Path, seed: int | None = None, reward_overrides=None):
  """(Run, acting parameters) of the latest checkpoint of a training run or a sweep group.
  `reward_overrides` changes how frames are scored (the threshold, the extra negatives); the
  policy is the same, since the agent sees the goal's embedding, not the negatives."""
  from experiments import sweep  # noqa: PLC0415 (sweep imports this module's neighbours)

  config = ml_collections.ConfigDict(json.loads((run_dir / "config.json").read_text()))
  config.reward.update(reward_overrides or {})
  seeds = sorted(int(p.name[5:]) for p in run_dir.glob("seed_*") if p.name[5:].isdigit())
  run = sweep.SeedsRun(config, seeds) if seeds else train_lib.Run(config)
  checkpointer = run_io.Checkpointer(run_dir)
  try:
    _, state = checkpointer.restore(run.abstract_state)
  finally:
    checkpointer.close()
  params = run.trainer.agent.acting_params(state.agent)
  if seeds:
    index = 0 if seed is None else seeds.index(seed)
    params = jax.tree.map(lambda x: x[index], params)
  return run, params


@functools.partial(jax.jit, static_argnums=(0, 4, 5, 6, 7))
def policy_rollout(
  trainer, params, reward_params, key, num_envs: int, pool: int, random_policy: bool, field: str
):
  """(`actor.inputs.<field>`, goal, ground-truth success) of `num_envs` x `max_steps` frames
  of the policy (or a uniformly random one) acting as in training on goal pool `pool`, each
  flattened to [num_envs * max_steps, ...]; `field` is "pixels" or "image_emb"."""
  k_init, k_run = jax.random.split(key)
  actor = trainer_lib.init_actor(trainer, reward_params, k_init, num_envs, pool)

  def body(actor, k):
    actor, out = trainer_lib.actor_step(
      trainer, params, reward_params, actor, k, random_policy, pool
    )
    goals = jax.vmap(trainer.env.goal)(actor.env_state)
    return actor, (getattr(actor.inputs, field), goals, out.episode.success)

  _, data = jax.lax.scan(body, actor, jax.random.split(k_run, trainer.env.max_steps))
  return jax.tree.map(lambda x: x.reshape(-1, *x.shape[2:]), data)
