"""The one-compiled-step trainer: env step, render, CLIP reward and V-trace update in one jit.

`make_trainer(config)` builds the parts (Playhouse, reward model, agent network, optimiser) and
returns a `Trainer` of pure functions; `experiments/train.py` runs them from the host.

One call of `trainer.train_chunk(state)` runs `config.updates_per_call` updates; each update
unrolls `config.unroll_length` steps of `config.num_envs` environments (policy, vmapped
Playhouse step, render, reward of the new frame for the episode's goal against its fixed
negatives) and applies one V-trace update. The actor batch is sharded over all devices and the
parameters are replicated: under `jax.jit`, the mean over the global batch makes XLA average
the gradients across devices.

Episode ends use one render per step. When a step ends an episode (reward 1 from the VLM, or
the time limit), its frame is still the agent's next input; the step after it resets that
environment instead of moving it (the action is ignored). That "reset step" carries
`mask = 0` and `discount = 0`: the learner takes no loss on it and V-trace bootstraps the
truncated episode from its last frame (see `agents.impala`). Ground truth is only measured: it
never reaches the learner unless `reward.source == "ground_truth"` (the sanity baseline).
"""

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from agents import impala, networks
from envs.playhouse import Playhouse, PlayhouseConfig
from vlm_rewards import rewards as reward_lib
from vlm_rewards.clip import load_clip
from vlm_rewards.reward_model import RewardModel

REWARD_SOURCES = ("vlm", "cosine", "goal_baseline", "ground_truth")


class EpisodeStats(NamedTuple):
  """Running per-environment statistics of the current episode, [B] each."""

  vlm_return: jax.Array  # sum of the VLM binary reward (0 or 1 when episodes end on it)
  gt_success: jax.Array  # ground-truth success at any step so far (0 or 1)
  length: jax.Array


class Actor(NamedTuple):
  """The acting side of the train state; every leaf has a leading batch axis [B]."""

  env_state: Any
  inputs: networks.AgentInput  # the agent's current observation
  core_state: networks.LSTMState
  needs_reset: jax.Array  # bool: the current frame ended its episode
  episode: EpisodeStats


class TrainState(NamedTuple):
  learner: impala.LearnerState
  actor: Actor
  key: jax.Array  # uint32[2]
  update: jax.Array  # int32 number of updates done


class StepOut(NamedTuple):
  """Per-step outputs of the rollout scan, [B] each (stacked to [T, B])."""

  actions: jax.Array
  logits: jax.Array
  reward: jax.Array  # what the learner sees
  discount: jax.Array
  mask: jax.Array
  vlm_reward: jax.Array  # the paper's binary VLM reward, always measured
  gt: jax.Array  # ground-truth success of the new frame (measurement only)
  done: jax.Array  # this step ended an episode
  finished: EpisodeStats  # statistics of the episode this step ended (valid where done)


@dataclasses.dataclass(frozen=True)
class Trainer:
  config: ml_collections.ConfigDict
  env: Playhouse
  reward_model: RewardModel
  network: networks.AgentNetwork
  optimizer: optax.GradientTransformation
  update_fn: Any
  mesh: Mesh

  @property
  def clip_params(self):
    return self.reward_model.params

  @property
  def goal_emb(self) -> jax.Array:
    """[num_goals, D] text embedding of every goal, the agent's goal conditioning."""
    return self.reward_model.goal_emb


def build_reward_model(config: ml_collections.ConfigDict, goals) -> RewardModel:
  r = config.reward
  if r.source not in REWARD_SOURCES:
    raise ValueError(f"reward.source must be one of {REWARD_SOURCES}, got {r.source!r}")
  clip = load_clip(r.model, dtype=jnp.bfloat16 if r.bf16 else jnp.float32)
  kind = r.source if r.source in ("cosine", "goal_baseline") else "vlm"
  return RewardModel(
    clip,
    goals,
    templates=r.template,
    num_negatives=r.num_negatives,
    negatives_seed=config.seed,
    temperature=r.temperature,
    threshold=r.threshold,
    kind=kind,
    baseline_prompt=r.baseline_prompt,
    alpha=r.alpha,
  )


def make_trainer(config: ml_collections.ConfigDict) -> Trainer:
  env = Playhouse(PlayhouseConfig(**config.env, terminate_on_success=False))
  reward_model = build_reward_model(config, env.goals)
  net_config = networks.NetworkConfig(num_actions=env.num_actions, **config.agent)
  network = networks.make_network(net_config)
  learner_config = impala.ImpalaConfig(num_updates=num_updates(config), **config.learner)
  optimizer = impala.make_optimizer(learner_config)
  update_fn = impala.make_update(network, optimizer, learner_config)
  mesh = Mesh(np.array(jax.devices()), ("data",))
  return Trainer(config, env, reward_model, network, optimizer, update_fn, mesh)


def num_updates(config: ml_collections.ConfigDict) -> int:
  """Derived sizes live here only: updates in the run, rounded to whole compiled calls."""
  frames_per_update = config.num_envs * config.unroll_length
  calls = max(1, config.total_frames // (frames_per_update * config.updates_per_call))
  return calls * config.updates_per_call


# ----------------------------------------------------------------------------- acting


def _agent_inputs(t: Trainer, pixels, image_emb, goal_ids, reset) -> networks.AgentInput:
  return networks.AgentInput(
    pixels=pixels, image_emb=image_emb, goal_emb=t.goal_emb[goal_ids], reset=reset
  )


def _select(pred: jax.Array, on_true, on_false):
  """Leafwise `where(pred, a, b)` with pred [B] broadcast over trailing axes."""

  def pick(a, b):
    return jnp.where(pred.reshape(pred.shape + (1,) * (a.ndim - pred.ndim)), a, b)

  return jax.tree.map(pick, on_true, on_false)


def env_transition(t: Trainer, clip_params, key, env_state, actions, needs_reset, heldout=False):
  """Moves (or, where `needs_reset`, resets) B environments and scores their new frames."""
  env, batch = t.env, actions.shape[0]
  k_step, k_reset = jax.random.split(key)
  stepped = jax.vmap(env.step_state)(jax.random.split(k_step, batch), env_state, actions)
  fresh = jax.vmap(lambda k: env.reset_state(k, heldout=heldout))(jax.random.split(k_reset, batch))
  env_state = _select(needs_reset, fresh, stepped)
  pixels = jax.vmap(env.render)(env_state)
  score = t.reward_model.score(clip_params, pixels, env_state.goal)
  gt = jax.vmap(env.success)(env_state, env_state.goal)
  truncated = jax.vmap(env.truncated)(env_state)
  return env_state, pixels, score, gt, truncated


def _learner_reward(t: Trainer, score, gt):
  """(reward the learner sees, whether it terminates the episode) for the configured source."""
  source = t.config.reward.source
  if source == "vlm":
    return score.reward, score.reward > 0
  if source == "ground_truth":
    gt = gt.astype(jnp.float32)
    return gt, gt > 0
  return score.reward, jnp.zeros_like(gt, dtype=bool)  # dense rewards end on the time limit


def actor_step(
  t: Trainer, actor_params, clip_params, actor: Actor, key, random_policy=False, heldout=False
):
  """One step of B environments; returns the new actor and the step's outputs."""
  k_act, k_env = jax.random.split(key)
  action, core_state = impala.act(t.network, actor_params, k_act, actor.inputs, actor.core_state)
  actions, logits = action.actions, action.logits
  # k_act again: the random policy discards the policy's sample, so nothing is correlated.
  uniform = jax.random.randint(k_act, actions.shape, 0, logits.shape[-1], jnp.int32)
  actions = jnp.where(random_policy, uniform, actions)
  logits = jnp.where(random_policy, 0.0, logits)
  env_state, pixels, score, gt, truncated = env_transition(
    t, clip_params, k_env, actor.env_state, actions, actor.needs_reset, heldout
  )
  reward, terminal = _learner_reward(t, score, gt)
  vlm_reward = reward_lib.binary_reward(score.probability, t.reward_model.threshold)
  valid = ~actor.needs_reset  # the reset step is not a transition of any episode
  done = valid & (terminal | truncated)
  ep = actor.episode
  ep = EpisodeStats(
    vlm_return=jnp.where(valid, ep.vlm_return + vlm_reward, 0.0),
    gt_success=jnp.where(valid, jnp.maximum(ep.gt_success, gt.astype(jnp.float32)), 0.0),
    length=jnp.where(valid, ep.length + 1, 0),
  )
  out = StepOut(
    actions=actions,
    logits=logits,
    reward=jnp.where(valid, reward, 0.0),
    discount=jnp.where(valid & ~terminal, t.config.learner_discount, 0.0),
    mask=valid.astype(jnp.float32),
    vlm_reward=jnp.where(valid, vlm_reward, 0.0),
    gt=valid & gt,
    done=done,
    finished=ep,
  )
  inputs = _agent_inputs(t, pixels, score.image_emb, env_state.goal, actor.needs_reset)
  return Actor(env_state, inputs, core_state, done, ep), out


def init_actor(t: Trainer, clip_params, key, batch: int, heldout=False) -> Actor:
  keys = jax.random.split(key, batch)
  env_state = jax.vmap(lambda k: t.env.reset_state(k, heldout=heldout))(keys)
  pixels = jax.vmap(t.env.render)(env_state)
  score = t.reward_model.score(clip_params, pixels, env_state.goal)
  inputs = _agent_inputs(t, pixels, score.image_emb, env_state.goal, jnp.ones(batch, bool))
  zeros = jnp.zeros(batch, jnp.float32)
  return Actor(
    env_state,
    inputs,
    t.network.initial_state(batch),
    jnp.zeros(batch, bool),
    EpisodeStats(zeros, zeros, jnp.zeros(batch, jnp.int32)),
  )


# ----------------------------------------------------------------------------- learning


def rollout(t: Trainer, actor_params, clip_params, actor: Actor, key):
  """`unroll_length` steps; returns the new actor, the learner's trajectory and step outputs."""
  initial_inputs, initial_core = actor.inputs, actor.core_state

  def body(actor, k):
    actor, out = actor_step(t, actor_params, clip_params, actor, k)
    return actor, (actor.inputs, out)

  keys = jax.random.split(key, t.config.unroll_length)
  actor, (inputs, outs) = jax.lax.scan(body, actor, keys)
  inputs = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), initial_inputs, inputs)
  traj = impala.Trajectory(
    inputs=inputs,
    actions=outs.actions,
    rewards=outs.reward,
    discounts=outs.discount,
    behaviour_logits=outs.logits,
    initial_core_state=initial_core,
    mask=outs.mask,
  )
  return actor, traj, outs


def rollout_metrics(outs: StepOut) -> dict[str, jax.Array]:
  """Sums over a [T, B] rollout; `summarise` turns them into rates on the host."""
  done = outs.done.astype(jnp.float32)
  vlm, gt = outs.vlm_reward > 0, outs.gt
  return {
    "episodes": done.sum(),
    "vlm_return_sum": (outs.finished.vlm_return * done).sum(),
    "gt_return_sum": (outs.finished.gt_success * done).sum(),
    "episode_length_sum": (outs.finished.length * done).sum(),
    "true_positives": (vlm & gt).sum().astype(jnp.float32),
    "vlm_positives": vlm.sum().astype(jnp.float32),
    "gt_positives": gt.sum().astype(jnp.float32),
    "transitions": outs.mask.sum(),
  }


def train_chunk(t: Trainer, clip_params, state: TrainState):
  """`updates_per_call` updates: the function that `train.py` jits (one compiled step)."""

  def one_update(state: TrainState, _):
    key = jax.random.fold_in(state.key, state.update)
    actor, traj, outs = rollout(t, state.learner.actor_params, clip_params, state.actor, key)
    learner, learn_metrics = t.update_fn(state.learner, traj)
    metrics = {**learn_metrics, **rollout_metrics(outs)}
    return TrainState(learner, actor, state.key, state.update + 1), metrics

  state, metrics = jax.lax.scan(one_update, state, None, length=t.config.updates_per_call)
  summed = {k: v.sum() for k, v in metrics.items() if k in _SUMMED}
  means = {k: v.mean() for k, v in metrics.items() if k not in _SUMMED}
  means["loss_max"] = metrics["loss"].max()  # a NaN anywhere in the chunk shows here
  return state, {**means, **summed}


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
  """Host-side: turns the summed counters of `train_chunk` into returns, precision, recall."""
  m = dict(metrics)
  episodes = max(m.pop("episodes"), 1.0)
  out = {k: v for k, v in m.items() if k not in _SUMMED}
  out.update(
    episodes=episodes,
    vlm_return=m["vlm_return_sum"] / episodes,
    gt_return=m["gt_return_sum"] / episodes,
    episode_length=m["episode_length_sum"] / episodes,
    vlm_precision=m["true_positives"] / max(m["vlm_positives"], 1.0),
    vlm_recall=m["true_positives"] / max(m["gt_positives"], 1.0),
  )
  return out


# ----------------------------------------------------------------------------- evaluation


def evaluate(
  t: Trainer,
  actor_params,
  clip_params,
  key,
  heldout: bool,
  random_policy: bool,
  record: bool = False,
):
  """One episode in each of `eval_envs` environments (held-out or train goals).

  Episodes end as in training (VLM reward or time limit). Returns the ground-truth success
  rate (goal achieved at any step of the episode) and the VLM return; with `record`, also the
  frames, goals, VLM probabilities and ground truth of every step for a GIF.
  """
  batch = t.config.eval_envs
  k_init, k_run = jax.random.split(key)
  actor = init_actor(t, clip_params, k_init, batch, heldout=heldout)

  def body(carry, k):
    actor, alive, success, vlm_return = carry
    actor, out = actor_step(t, actor_params, clip_params, actor, k, random_policy, heldout)
    success = success | (alive & out.gt)
    vlm_return = vlm_return + jnp.where(alive, out.vlm_reward, 0.0)
    alive = alive & ~out.done
    frame = (actor.inputs.pixels, actor.env_state.goal, out.vlm_reward, out.gt, alive)
    return (actor, alive, success, vlm_return), frame if record else None

  steps = t.env.config.max_steps
  carry = (actor, jnp.ones(batch, bool), jnp.zeros(batch, bool), jnp.zeros(batch))
  (_, _, success, vlm_return), frames = jax.lax.scan(body, carry, jax.random.split(k_run, steps))
  result = {"gt_success": success.mean(), "vlm_return": vlm_return.mean()}
  return (result, frames) if record else result


# ----------------------------------------------------------------------------- set-up


def init_state(t: Trainer, clip_params, key) -> TrainState:
  k_net, k_actor, k_run = jax.random.split(key, 3)
  actor = init_actor(t, clip_params, k_actor, t.config.num_envs)
  params = t.network.init(k_net, actor.inputs)
  learner = impala.init_learner_state(params, t.optimizer)
  return TrainState(learner, actor, k_run, jnp.zeros((), jnp.int32))


def state_shardings(t: Trainer, state: TrainState):
  """Actor leaves are split over devices along the batch axis; everything else is replicated."""
  batch_sharded = NamedSharding(t.mesh, PartitionSpec("data"))
  replicated = NamedSharding(t.mesh, PartitionSpec())
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
