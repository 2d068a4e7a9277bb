"""Wrappers for the functional JAX environments (Playhouse and later ones).

A wrapped env must offer the lower-level pure pieces of `envs.playhouse.Playhouse`:
`reset_state(key)`, `step_state(key, state, action)`, `observe(state)`, `outcome(state)`.
"""

import dm_env
import jax
import jax.numpy as jnp
import numpy as np
from dm_env import specs


class AutoReset:
  """Vectorisable auto-reset: picks the next *state* first, then renders once.

  `step` returns (obs, state, reward, done, info) like the env; when done, `state` and `obs`
  are those of a fresh episode, while reward and info describe the step that ended.
  """

  def __init__(self, env):
    self.env = env

  def __getattr__(self, name):
    return getattr(self.env, name)

  def reset(self, key: jax.Array, *args, **kwargs):
    return self.env.reset(key, *args, **kwargs)

  def step(self, key: jax.Array, state, action):
    k_step, k_reset = jax.random.split(key)
    next_state = self.env.step_state(k_step, state, action)
    reward, terminated, truncated, success = self.env.outcome(next_state)
    done = terminated | truncated
    fresh = self.env.reset_state(k_reset)
    state = jax.tree.map(lambda a, b: jnp.where(done, a, b), fresh, next_state)
    info = {"success": success, "terminated": terminated, "truncated": truncated}
    return self.env.observe(state), state, reward, done, info


class DmEnvAdapter(dm_env.Environment):
  """Host-side `dm_env.Environment` around a functional env (numpy observations).

  Observations are dicts {"pixels": uint8[H, W, 3], "goal": int32}. Termination gives
  discount 0, truncation (time limit) discount 1.
  """

  def __init__(self, env, seed: int = 0, goal_id=None):
    self._env = env
    self._key = jax.random.PRNGKey(seed)
    self._goal_id = goal_id
    self._reset = jax.jit(lambda k, g: env.reset(k, g) if g is not None else env.reset(k))
    self._step = jax.jit(env.step)
    self._state = None
    self._needs_reset = True

  def _obs(self, obs):
    return {"pixels": np.asarray(obs.pixels), "goal": np.asarray(obs.goal, np.int32)}

  def reset(self) -> dm_env.TimeStep:
    self._key, k = jax.random.split(self._key)
    obs, self._state = self._reset(k, self._goal_id)
    self._needs_reset = False
    return dm_env.restart(self._obs(obs))

  def step(self, action) -> dm_env.TimeStep:
    if self._needs_reset:
      return self.reset()
    self._key, k = jax.random.split(self._key)
    obs, self._state, reward, done, info = self._step(k, self._state, jnp.int32(action))
    obs, reward = self._obs(obs), np.float32(reward)
    if not bool(done):
      return dm_env.transition(reward, obs)
    self._needs_reset = True
    if bool(info["truncated"]):
      return dm_env.truncation(reward, obs)
    return dm_env.termination(reward, obs)

  @property
  def state(self):
    return self._state

  def observation_spec(self):
    cfg = self._env.config
    return {
      "pixels": specs.Array((cfg.height, cfg.width, 3), np.uint8, "pixels"),
      "goal": specs.DiscreteArray(len(self._env.goals), np.int32, name="goal"),
    }

  def action_spec(self):
    return specs.DiscreteArray(self._env.num_actions, np.int32, name="action")

  def reward_spec(self):
    return specs.Array((), np.float32, "reward")
