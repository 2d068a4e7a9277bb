"""The one-compiled-step trainer: env step, render, VLM reward and learner update in one jit.

`make_trainer(config)` builds the parts by name (`experiments.registry`: an environment of the
`envs.base` contract, an agent of the `agents.types` contract, and the reward model) and
returns a `Trainer`; `experiments/train.py` runs its pure functions from the host. The trainer
knows no particular environment or agent.

One call of `train_chunk(trainer, reward_params, state)` runs `config.updates_per_call`
updates; each update unrolls `config.unroll_length` steps of `config.num_envs` environments
(policy, vmapped env step, render, reward of the new frame for the episode's goal against its
fixed negatives) and applies one agent update. The reward model's parameters, goal and negative
embeddings are an argument of the compiled call, not constants in it. The actor batch is
sharded over all devices and everything else replicated: under `jax.jit`, the mean over the
global batch makes XLA average the gradients across devices.

Episode mechanics are `envs.wrappers`': one render per step, the frame that ends an episode
is scored and kept as the agent's next input, the step after it resets and is masked out of
the loss. Ground truth is only measured: it never reaches the learner unless
`reward.source == "ground_truth"` (the sanity baseline).
"""

import dataclasses
import json
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from agents.types import Agent, AgentInput, Trajectory
from envs import wrappers
from envs.base import Environment, fill_goal_templates
from experiments import paths, registry
from vlm_rewards import rewards as reward_lib
from vlm_rewards.reward_model import RewardModel, RewardOutput, RewardParams

REWARD_SOURCES = ("vlm", "cosine", "goal_baseline", "ground_truth")


class Actor(NamedTuple):
  """The acting side of the train state; every leaf has a leading batch axis [B]."""

  env_state: Any
  inputs: AgentInput  # the agent's current observation
  core_state: Any
  needs_reset: jax.Array  # bool: the current frame ended its episode
  episode: wrappers.EpisodeStats  # return_ sums the paper's binary VLM reward


class TrainState(NamedTuple):
  agent: Any  # the agent's state (parameters, optimiser, ...)
  actor: Actor
  key: jax.Array  # uint32[2]
  update: jax.Array  # int32 number of updates done


class StepOut(NamedTuple):
  """Per-step outputs of the rollout scan, [B] each (stacked to [T, B])."""

  actions: jax.Array
  logits: jax.Array
  episode: wrappers.EpisodeStep  # tracked: the paper's binary VLM reward, always measured


@dataclasses.dataclass(frozen=True)
class Trainer:
  config: ml_collections.ConfigDict
  env: Environment
  reward_model: RewardModel
  agent: Agent
  mesh: Mesh


def build_reward_model(config: ml_collections.ConfigDict, goals, goal_slots=None) -> RewardModel:
  """The run's reward model; ``goal_slots`` (the env's, if any) fill reward.goal_negatives."""
  r = config.reward
  templates = tuple(r.get("goal_negatives", ()))
  clip = registry.load_reward_clip(r.model, dtype=jnp.bfloat16 if r.bf16 else jnp.float32)
  kind = r.source if r.source in ("cosine", "goal_baseline") else "vlm"
  return RewardModel(
    clip,
    goals,
    templates=r.template,
    num_negatives=r.num_negatives,
    negatives_seed=r.get("negatives_seed", 0),  # part of the reward, not of the run's seed
    temperature=r.temperature,
    threshold=r.threshold,
    kind=kind,
    baseline_prompt=r.baseline_prompt,
    alpha=r.alpha,
    extra_negatives=tuple(r.get("extra_negatives", ())),
    goal_negatives=fill_goal_templates(goals, goal_slots, templates) if templates else (),
  )


def make_trainer(config: ml_collections.ConfigDict) -> Trainer:
  env = registry.make_env(config.env)
  reward_model = build_reward_model(config, env.goals, getattr(env, "goal_slots", None))
  agent = registry.make_agent(config.agent, env.num_actions, schedule_updates(config))
  mesh = Mesh(np.array(jax.devices()), ("data",))
  return Trainer(config, env, reward_model, agent, mesh)


def num_updates(config: ml_collections.ConfigDict, frames: int | None = None) -> int:
  """Derived sizes live here only: updates in `frames` (default: the run's total_frames),
  rounded to whole compiled calls."""
  frames = config.total_frames if frames is None else frames
  frames_per_update = config.num_envs * config.unroll_length
  calls = max(1, frames // (frames_per_update * config.updates_per_call))
  return calls * config.updates_per_call


def schedule_updates(config: ml_collections.ConfigDict) -> int:
  """The horizon of the learning-rate schedule in updates (`resolve_schedule`)."""
  return num_updates(config, config.get("schedule_frames", 0) or config.total_frames)


def resolve_schedule(config: ml_collections.ConfigDict, workdir=None) -> ml_collections.ConfigDict:
  """`config` with `schedule_frames` fixed: 0 becomes total_frames; resuming the run in
  `workdir`, the saved run's horizon is kept whatever total_frames is now (the rule that lets
  a resume raise total_frames without re-stretching the schedule of the updates done).

  Raises:
    ValueError: a resume asks for another non-zero horizon than the saved run's.
  """
  config = ml_collections.ConfigDict(config.to_dict())
  horizon = config.get("schedule_frames", 0) or config.total_frames
  saved_path = None if workdir is None else paths.as_path(workdir) / "config.json"
  if saved_path is not None and saved_path.exists():
    saved = json.loads(saved_path.read_text())
    fixed = saved.get("schedule_frames") or saved["total_frames"]
    if config.get("schedule_frames", 0) not in (0, fixed):
      raise ValueError(
        f"Bad config: schedule_frames={config.schedule_frames} on resume, but the run in "
        f"{workdir} is on a schedule over {fixed} frames, fixed when it started. Leave "
        "schedule_frames at 0 (the run's), or start a new run."
      )
    horizon = fixed
  config.schedule_frames = horizon
  return config


# ----------------------------------------------------------------------------- acting


def _learner_reward(trainer: Trainer, score: RewardOutput, gt):
  """(reward the learner sees, whether it terminates the episode) for the configured source."""
  source = trainer.config.reward.source
  if source == "vlm":
    return score.reward, score.reward > 0
  if source == "ground_truth":
    gt = gt.astype(jnp.float32)
    return gt, gt > 0
  return score.reward, jnp.zeros_like(gt, dtype=bool)  # dense rewards end on the time limit


def _agent_input(reward_params: RewardParams, tr: wrappers.Transition, score, reset):
  """What the agent sees of a frame: pixels, its CLIP embedding, the goal's text embedding."""
  goal_emb = reward_params.goal_emb[tr.goal]
  return AgentInput(pixels=tr.pixels, image_emb=score.image_emb, goal_emb=goal_emb, reset=reset)


def finish_step(
  trainer: Trainer,
  reward_params: RewardParams,
  actor: Actor,
  tr: wrappers.Transition,
  actions,
  logits,
  core_state,
  score: RewardOutput,
):
  """The episode rules and the agent's next input for a scored transition.

  The last piece of `actor_step`, public so that a loop calling the pieces one by one
  (benchmarks/train_throughput.py) runs the same code.
  """
  reward, terminal = _learner_reward(trainer, score, tr.success)
  vlm_reward = reward_lib.binary_reward(score.probability, trainer.reward_model.threshold)
  step = wrappers.episode_step(
    actor.episode,
    actor.needs_reset,
    reward,
    terminal,
    tr.truncated,
    tr.success,
    trainer.config.learner_discount,
    tracked=vlm_reward,
  )
  inputs = _agent_input(reward_params, tr, score, step.first)
  actor = Actor(tr.state, inputs, core_state, step.done, step.stats)
  return actor, StepOut(actions, logits, step)


def actor_step(
  trainer: Trainer, params, reward_params, actor: Actor, key, random_policy=False, pool=0
):
  """One step of B environments: act, move (or reset), render, score; returns (actor, StepOut)."""
  k_act, k_env = jax.random.split(key)
  action, core_state = trainer.agent.act(params, k_act, actor.inputs, actor.core_state)
  actions, logits = action.actions, action.logits
  # k_act again: the random policy discards the policy's sample, so nothing is correlated.
  uniform = jax.random.randint(k_act, actions.shape, 0, logits.shape[-1], jnp.int32)
  actions = jnp.where(random_policy, uniform, actions)
  logits = jnp.where(random_policy, 0.0, logits)
  tr = wrappers.transition(trainer.env, k_env, actor.env_state, actions, actor.needs_reset, pool)
  score = trainer.reward_model.score(reward_params, tr.pixels, tr.goal)
  return finish_step(trainer, reward_params, actor, tr, actions, logits, core_state, score)


def init_actor(trainer: Trainer, reward_params: RewardParams, key, batch: int, pool=0) -> Actor:
  return initial_actor(trainer, reward_params, wrappers.reset(trainer.env, key, batch, pool))


def initial_actor(trainer: Trainer, reward_params: RewardParams, tr: wrappers.Transition) -> Actor:
  """The actor at the first frames `tr` of fresh episodes ([B]); host-side environments
  (experiments/sebulba.py) build `tr` themselves."""
  batch = tr.goal.shape[0]
  score = trainer.reward_model.score(reward_params, tr.pixels, tr.goal)
  return Actor(
    tr.state,
    _agent_input(reward_params, tr, score, jnp.ones(batch, bool)),
    trainer.agent.initial_core_state(batch),
    jnp.zeros(batch, bool),
    wrappers.initial_stats(batch),
  )


# ----------------------------------------------------------------------------- learning


def rollout(trainer: Trainer, params, reward_params: RewardParams, actor: Actor, key):
  """`unroll_length` steps; returns the new actor, the learner's trajectory and step outputs."""
  initial_inputs, initial_core = actor.inputs, actor.core_state

  def body(actor, k):
    actor, out = actor_step(trainer, params, reward_params, actor, k)
    return actor, (actor.inputs, out)

  keys = jax.random.split(key, trainer.config.unroll_length)
  actor, (inputs, outs) = jax.lax.scan(body, actor, keys)
  return actor, trajectory(initial_inputs, initial_core, inputs, outs), outs


def trajectory(initial_inputs, initial_core, inputs, outs: StepOut) -> Trajectory:
  """The learner's trajectory from the inputs before the rollout and its stacked [T, B] steps."""
  inputs = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), initial_inputs, inputs)
  return Trajectory(
    inputs=inputs,
    actions=outs.actions,
    rewards=outs.episode.reward,
    discounts=outs.episode.discount,
    behaviour_logits=outs.logits,
    initial_core_state=initial_core,
    mask=outs.episode.mask,
  )


def rollout_metrics(outs: StepOut) -> dict[str, jax.Array]:
  """Sums over a [T, B] rollout; `summarise` turns them into rates on the host."""
  ep = outs.episode
  done = ep.done.astype(jnp.float32)
  vlm, gt = ep.tracked > 0, ep.success
  return {
    "episodes": done.sum(),
    "vlm_return_sum": (ep.stats.return_ * done).sum(),
    "gt_return_sum": (ep.stats.success * done).sum(),
    "episode_length_sum": (ep.stats.length * done).sum(),
    "true_positives": (vlm & gt).sum().astype(jnp.float32),
    "vlm_positives": vlm.sum().astype(jnp.float32),
    "gt_positives": gt.sum().astype(jnp.float32),
    "transitions": ep.mask.sum(),
  }


def one_update(trainer: Trainer, reward_params: RewardParams, state: TrainState):
  """A rollout and an agent update; returns the new state and the update's metrics."""
  key = jax.random.fold_in(state.key, state.update)
  params = trainer.agent.acting_params(state.agent)
  actor, traj, outs = rollout(trainer, params, reward_params, state.actor, key)
  agent, learn_metrics = trainer.agent.update(state.agent, traj)
  metrics = {**learn_metrics, **rollout_metrics(outs)}
  return TrainState(agent, actor, state.key, state.update + 1), metrics


def train_chunk(trainer: Trainer, reward_params: RewardParams, state: TrainState):
  """`updates_per_call` updates: the function that `train.py` jits (one compiled step).

  `config.unroll_updates` unrolls the loop over updates (a longer compile): XLA's CPU backend
  runs convolution gradients many times slower inside a loop than outside one, so configs
  with a pixel torso set it on the CPU.
  """
  state, metrics = jax.lax.scan(
    lambda s, _: one_update(trainer, reward_params, s),
    state,
    None,
    length=trainer.config.updates_per_call,
    unroll=bool(trainer.config.get("unroll_updates", False)),
  )
  return state, chunk_metrics(metrics)


def chunk_metrics(metrics: dict[str, jax.Array]) -> dict[str, jax.Array]:
  """Per-update metrics [U] of a chunk -> counters summed, the rest averaged, and `loss_max`."""
  summed = {k: v.sum() for k, v in metrics.items() if k in _SUMMED}
  means = {k: v.mean() for k, v in metrics.items() if k not in _SUMMED}
  means["loss_max"] = metrics["loss"].max()  # a NaN anywhere in the chunk shows here
  return {**means, **summed}


_SUMMED = (
  "episodes",
  "vlm_return_sum",
  "gt_return_sum",
  "episode_length_sum",
  "true_positives",
  "vlm_positives",
  "gt_positives",
  "transitions",
)


def summarise(metrics: dict[str, float]) -> dict[str, float]:
  """Host-side: turns the summed counters of `train_chunk` into returns, precision, recall
  (floats, or arrays of one value per seed of a seeds-vmapped run)."""
  m = dict(metrics)
  episodes = np.maximum(m.pop("episodes"), 1.0)
  out = {k: v for k, v in m.items() if k not in _SUMMED}
  out.update(
    episodes=episodes,
    vlm_return=m["vlm_return_sum"] / episodes,
    gt_return=m["gt_return_sum"] / episodes,
    episode_length=m["episode_length_sum"] / episodes,
    vlm_precision=m["true_positives"] / np.maximum(m["vlm_positives"], 1.0),
    vlm_recall=m["true_positives"] / np.maximum(m["gt_positives"], 1.0),
  )
  return out


# ----------------------------------------------------------------------------- evaluation


def evaluate(
  trainer: Trainer,
  params,
  reward_params: RewardParams,
  key,
  pool,
  random_policy,
  record: bool = False,
):
  """One episode in each of `eval_envs` environments with goals from `env.goal_pools[pool]`.

  Episodes end as in training (VLM reward or time limit), and the environments are split over
  the devices as in training. Returns the ground-truth success rate (goal achieved at any step
  of the episode) and the VLM return; with `record`, also the frames, goals, VLM rewards,
  ground truth and aliveness of every step [T, RECORDED_ENVS] of the first environments, for
  a GIF.
  """
  batch = trainer.config.eval_envs
  k_init, k_run = jax.random.split(key)
  actor = _shard_batch(trainer, init_actor(trainer, reward_params, k_init, batch, pool))

  def body(carry, k):
    actor, alive, success, vlm_return = carry
    actor, out = actor_step(trainer, params, reward_params, actor, k, random_policy, pool)
    actor = _shard_batch(trainer, actor)
    ep = out.episode
    success = success | (alive & ep.success)
    vlm_return = vlm_return + jnp.where(alive, ep.tracked, 0.0)
    alive = alive & ~ep.done
    goals = jax.vmap(trainer.env.goal)(actor.env_state)
    frame = (actor.inputs.pixels, goals, ep.tracked, ep.success, alive)
    return (actor, alive, success, vlm_return), frame if record else None

  steps = trainer.env.max_steps
  carry = (actor, jnp.ones(batch, bool), jnp.zeros(batch, bool), jnp.zeros(batch))
  (_, _, success, vlm_return), frames = jax.lax.scan(body, carry, jax.random.split(k_run, steps))
  result = {"gt_success": success.mean(), "vlm_return": vlm_return.mean()}
  if not record:
    return result
  return result, jax.tree.map(lambda x: x[:, :RECORDED_ENVS], frames)


RECORDED_ENVS = 3  # evaluation episodes that `evaluate(record=True)` returns frames of


def _batch_sharding(trainer: Trainer) -> NamedSharding:
  """The leading (environment) axis split over all devices."""
  return NamedSharding(trainer.mesh, PartitionSpec("data"))


def _shard_batch(trainer: Trainer, tree):
  return jax.lax.with_sharding_constraint(tree, _batch_sharding(trainer))


# ----------------------------------------------------------------------------- set-up


def init_state(trainer: Trainer, reward_params: RewardParams, key) -> TrainState:
  k_net, k_actor, k_run = jax.random.split(key, 3)
  actor = init_actor(trainer, reward_params, k_actor, trainer.config.num_envs)
  agent = trainer.agent.init(k_net, actor.inputs)
  return TrainState(agent, actor, k_run, jnp.zeros((), jnp.int32))


def state_shardings(trainer: Trainer, state: TrainState, stacked: bool = False):
  """Actor leaves are split over devices along the batch axis; everything else is replicated.
  `stacked`: the state of several seeds stacked on a leading axis (experiments/sweep.py)."""
  spec = PartitionSpec(None, "data") if stacked else PartitionSpec("data")
  batch_sharded = NamedSharding(trainer.mesh, spec)
  replicated = NamedSharding(trainer.mesh, PartitionSpec())
  actor = jax.tree.map(lambda _: batch_sharded, state.actor)
  rest = jax.tree.map(lambda _: replicated, state._replace(actor=None))
  return rest._replace(actor=actor)


def check_config(config: ml_collections.ConfigDict) -> None:
  """Clear errors for bad values, before anything is built."""
  devices = jax.device_count()
  checks = [
    (config.num_envs >= 1, f"num_envs must be >= 1, got {config.num_envs}"),
    (
      config.num_envs % devices == 0,
      f"num_envs={config.num_envs} must be a multiple of the {devices} devices",
    ),
    (
      config.eval_envs % devices == 0,
      f"eval_envs={config.eval_envs} must be a multiple of the {devices} devices",
    ),
    (config.unroll_length >= 1, f"unroll_length must be >= 1, got {config.unroll_length}"),
    (config.total_frames >= 1, f"total_frames must be >= 1, got {config.total_frames}"),
    (config.eval_envs >= 1, f"eval_envs must be >= 1, got {config.eval_envs}"),
    *(
      (config[k] >= 1, f"{k} must be >= 1 (a number of compiled calls), got {config[k]}")
      for k in ("log_every_calls", "eval_every_calls", "checkpoint_every_calls")
    ),
    (
      config.checkpoints_to_keep >= 1,
      f"checkpoints_to_keep must be >= 1 (0 would keep none), got {config.checkpoints_to_keep}",
    ),
    (config.max_abs_loss > 0, f"max_abs_loss must be > 0, got {config.max_abs_loss}"),
    (config.updates_per_call >= 1, f"updates_per_call must be >= 1, got {config.updates_per_call}"),
    (
      0.0 < config.learner_discount <= 1.0,
      f"learner_discount must be in (0, 1], got {config.learner_discount}",
    ),
    (
      config.reward.source in REWARD_SOURCES,
      f"reward.source must be one of {REWARD_SOURCES}, got {config.reward.source!r}",
    ),
  ]
  for ok, message in checks:
    if not ok:
      raise ValueError(f"Bad config: {message}.")
