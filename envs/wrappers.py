"""Episode mechanics over the environment contract (`envs.base`), and dm_env episodes.

The mechanics let a reward model score the frame that ends an episode, with one render per
step and no second branch of the environment:

* `transition` moves B environments, or resets those whose previous step ended an episode,
  and renders each new state once. A step that ends an episode (its reward, or the episode
  limit) keeps that final frame as the agent's next input; only the *next* step resets.
* `episode_step` applies the rules to one step, given the reward of its new frame (the
  caller computes it: a VLM, ground truth, anything):
  - the reset step is no transition of any episode: `mask = 0`, reward 0, discount 0, and
    the running episode statistics start again from zero;
  - a step whose reward ended the episode (`terminal`) gets discount 0; a step that reached
    the episode limit gets `gamma`, so that the learner bootstraps from its final frame;
  - `done` marks either end, so that the next step resets (`needs_reset`);
  - `first` is the network's reset flag: true for the first frame of an episode.

These are pure `jax.numpy` functions, so the fused trainer (`experiments.trainer`), a
host-side actor loop over any environment that resets on the step after an end, and the
dm_env environments (`dm_env_step`: `GroundTruthDmEnv` here, the android bridge's
`OpenAppEnv`) apply the same rules; this module is their only implementation.
"""

from typing import Any, NamedTuple

import dm_env
import jax
import jax.numpy as jnp
import numpy as np
from dm_env import specs

from envs.base import Environment


def select(pred: jax.Array, on_true, on_false):
  """Leafwise `where(pred, a, b)` over two pytrees, with pred [B] broadcast over trailing axes."""

  def pick(a, b):
    return jnp.where(pred.reshape(pred.shape + (1,) * (a.ndim - pred.ndim)), a, b)

  return jax.tree.map(pick, on_true, on_false)


class Transition(NamedTuple):
  """Environments after one step (or reset); a leading [B] axis where batched."""

  state: Any
  pixels: jax.Array  # uint8[B, H, W, 3], the frame the reward model scores
  goal: jax.Array  # int32[B]
  success: jax.Array  # bool[B], ground truth of the goal in the new state (measurement only)
  truncated: jax.Array  # bool[B], the episode limit is reached


def observe(env: Environment, state) -> Transition:
  """Renders and measures ONE environment's state (vmap it for a batch)."""
  goal = env.goal(state)
  return Transition(state, env.render(state), goal, env.success(state, goal), env.truncated(state))


def _observe(env: Environment, state) -> Transition:
  return jax.vmap(lambda s: observe(env, s))(state)


def reset(env: Environment, key: jax.Array, batch: int, pool=0) -> Transition:
  """`batch` new episodes with goals from `env.goal_pools[pool]`, rendered."""
  state = jax.vmap(lambda k: env.reset_state(k, pool))(jax.random.split(key, batch))
  return _observe(env, state)


def advance(
  env: Environment, key: jax.Array, state, actions: jax.Array, needs_reset: jax.Array, pool=0
):
  """Steps B environments with `actions` [B], or resets those where `needs_reset` [B].

  Both branches are cheap state updates; only the selected state is rendered (`observe`).
  """
  batch = actions.shape[0]
  k_step, k_reset = jax.random.split(key)
  stepped = jax.vmap(env.step_state)(jax.random.split(k_step, batch), state, actions)
  fresh = jax.vmap(lambda k: env.reset_state(k, pool))(jax.random.split(k_reset, batch))
  return select(needs_reset, fresh, stepped)


def transition(
  env: Environment, key: jax.Array, state, actions: jax.Array, needs_reset: jax.Array, pool=0
) -> Transition:
  """`advance`, then each new state rendered once and measured (`observe`, vmapped)."""
  return _observe(env, advance(env, key, state, actions, needs_reset, pool))


class EpisodeStats(NamedTuple):
  """Running statistics of each environment's current episode, [B] each."""

  return_: jax.Array  # float32, sum of the tracked reward
  success: jax.Array  # float32, 1 once ground truth held at any step
  length: jax.Array  # int32, transitions so far


def initial_stats(batch: int) -> EpisodeStats:
  zeros = jnp.zeros(batch, jnp.float32)
  return EpisodeStats(zeros, zeros, jnp.zeros(batch, jnp.int32))


class EpisodeStep(NamedTuple):
  """What the episode rules make of one step of B environments, [B] each."""

  reward: jax.Array  # float32, the learner's reward; 0 on the reset step
  discount: jax.Array  # float32, 0 at a terminal or reset step, else gamma
  mask: jax.Array  # float32, 0 on the reset step (no transition of any episode)
  done: jax.Array  # bool, this step ended an episode: the next step resets
  first: jax.Array  # bool, the new frame is an episode's first (the network's reset flag)
  tracked: jax.Array  # float32, the tracked reward (e.g. the VLM's); 0 on the reset step
  success: jax.Array  # bool, ground truth of the new frame; false on the reset step
  stats: EpisodeStats  # the episode so far, this step included (the finished one where done)


def episode_ends(needs_reset: jax.Array, terminal: jax.Array, truncated: jax.Array) -> jax.Array:
  """bool[B]: the step ended an episode (its reward ended it, or the episode limit), so the
  next step resets. The reset step itself ends nothing, whatever its new state shows."""
  return ~needs_reset & (terminal | truncated)


def episode_step(
  stats: EpisodeStats,
  needs_reset: jax.Array,
  reward: jax.Array,
  terminal: jax.Array,
  truncated: jax.Array,
  success: jax.Array,
  gamma: float,
  tracked: jax.Array | None = None,
) -> EpisodeStep:
  """The episode rules for one step (see the module docstring).

  Args:
    stats: the running statistics before this step.
    needs_reset: bool[B], the previous step ended an episode, so this step was a reset.
    reward: float[B], the reward of the new frame that the learner sees.
    terminal: bool[B], the reward ends the episode (e.g. the VLM reward fired).
    truncated: bool[B], the new state reached the episode limit.
    success: bool[B], ground truth of the goal in the new state (measured, never learned from).
    gamma: the discount of a non-terminal step.
    tracked: float[B], the reward summed into `stats.return_` (default: `reward`).
  """
  tracked = reward if tracked is None else tracked
  valid = ~needs_reset
  stats = EpisodeStats(
    return_=jnp.where(valid, stats.return_ + tracked, 0.0),
    success=jnp.where(valid, jnp.maximum(stats.success, success.astype(jnp.float32)), 0.0),
    length=jnp.where(valid, stats.length + 1, 0),
  )
  return EpisodeStep(
    reward=jnp.where(valid, reward, 0.0),
    discount=jnp.where(valid & ~terminal, gamma, 0.0),
    mask=valid.astype(jnp.float32),
    done=episode_ends(needs_reset, terminal, truncated),
    first=needs_reset,
    tracked=jnp.where(valid, tracked, 0.0),
    success=valid & success,
    stats=stats,
  )


@jax.jit
def _one_step(stats: EpisodeStats, reward, terminal, truncated, success) -> EpisodeStep:
  """`episode_step` of one dm_env environment: never a reset step (dm_env resets explicitly),
  and gamma 1, since a dm_env discount is the environment's (the agent applies its own)."""
  one = lambda x: jnp.reshape(x, (1,))
  return episode_step(
    stats, jnp.zeros(1, bool), one(reward), one(terminal), one(truncated), one(success), 1.0
  )


def dm_env_step(
  stats: EpisodeStats, observation, reward, terminal: bool, truncated: bool, success: bool
) -> tuple[EpisodeStats, dm_env.TimeStep]:
  """The episode rules for one step of one host-side dm_env environment.

  Args:
    stats: the episode's statistics before this step (`initial_stats(1)` after a reset).
    observation: the new observation, passed through to the TimeStep.
    reward: the reward of the new observation.
    terminal: the reward ends the episode: a LAST step with discount 0.
    truncated: the episode limit is reached: a LAST step with discount 1 (bootstrap there).
    success: ground truth of the goal in the new state (measured into the statistics only).

  Returns:
    The statistics with this step, and its `dm_env.TimeStep` (MID or LAST).
  """
  step = _one_step(
    stats,
    np.float32(reward),
    np.bool_(terminal),
    np.bool_(truncated),
    np.bool_(success),
  )
  kind = dm_env.StepType.LAST if bool(step.done[0]) else dm_env.StepType.MID
  timestep = dm_env.TimeStep(kind, np.float32(step.reward[0]), float(step.discount[0]), observation)
  return step.stats, timestep


class GroundTruthDmEnv(dm_env.Environment):
  """Host-side `dm_env.Environment` around a contract env, rewarded by ground truth rather than
  a VLM: a baseline and a test harness (the VLM-rewarded dm_env is `envs.android.bridge`'s).

  Observations are dicts {"pixels": uint8[H, W, 3], "goal": int32}; the reward is 1.0 when the
  goal holds, which ends the episode (discount 0); the episode limit truncates it (discount 1).
  Goals are drawn from `env.goal_pools[pool]`. `episode` holds the running statistics.
  """

  def __init__(self, env: Environment, seed: int = 0, pool: int = 0):
    self._env = env
    self._key = jax.random.PRNGKey(seed)
    self._reset = jax.jit(lambda k: observe(env, env.reset_state(k, pool)))
    self._step = jax.jit(lambda k, s, a: observe(env, env.step_state(k, s, a)))
    self._state = None
    self._needs_reset = True
    self.episode = initial_stats(1)

  def _obs(self, tr: Transition):
    return {"pixels": np.asarray(tr.pixels), "goal": np.asarray(tr.goal, np.int32)}

  def reset(self) -> dm_env.TimeStep:
    self._key, k = jax.random.split(self._key)
    tr = self._reset(k)
    self._state, self._needs_reset, self.episode = tr.state, False, initial_stats(1)
    return dm_env.restart(self._obs(tr))

  def step(self, action) -> dm_env.TimeStep:
    if self._needs_reset:
      return self.reset()
    self._key, k = jax.random.split(self._key)
    tr = self._step(k, self._state, jnp.int32(action))
    self._state = tr.state
    success = bool(tr.success)
    self.episode, timestep = dm_env_step(
      self.episode, self._obs(tr), float(success), success, bool(tr.truncated), success
    )
    self._needs_reset = timestep.last()
    return timestep

  @property
  def state(self):
    return self._state

  def observation_spec(self):
    return {
      "pixels": specs.Array(self._env.observation_shape, np.uint8, "pixels"),
      "goal": specs.DiscreteArray(len(self._env.goals), np.int32, name="goal"),
    }

  def action_spec(self):
    return specs.DiscreteArray(self._env.num_actions, np.int32, name="action")

  def reward_spec(self):
    return specs.Array((), np.float32, "reward")
