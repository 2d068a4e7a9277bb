"""Batches of environments on the host (the `envs.base.HostEnvBatch` contract).

* `HostEnvs`: environments that live outside JAX (android_env's `OpenAppEnv`), one Python
  object each, stepped concurrently by a thread each: such an environment mostly waits (on an
  emulator, or android_env's pauses), and waiting releases Python's lock.
* `JaxEnvBatch`: any JAX environment of the `envs.base.Environment` contract, its state on
  the host CPU, stepped in one jitted call per step with `envs.wrappers`' own reset and
  transition, outside any learner's compilation.

Both hand their frames to the default device (the policy's and the reward model's).
"""

import concurrent.futures
import functools
import logging

import jax
import jax.numpy as jnp
import numpy as np

from envs import wrappers
from envs.base import Environment


class HostEnvs:
  """A batch of host environments. Each one has `goals`, `num_actions`, the current episode's
  `goal` id, `begin() -> (frame, goal id, success)`, `act(action) -> (frame, success, limit
  reached)` and `close()`; all share the goals and actions of the first."""

  def __init__(self, envs, frame_shape: tuple[int, int, int], name: str = "host-envs"):
    self.envs = list(envs)
    if not self.envs:
      raise ValueError("HostEnvs needs at least one environment.")
    first = self.envs[0]
    self.goals, self.num_actions = tuple(first.goals), first.num_actions
    self.frame_shape = tuple(frame_shape)
    self.goal_slots = getattr(first, "goal_slots", None)
    self._pool = concurrent.futures.ThreadPoolExecutor(len(self.envs), name)

  @property
  def num_envs(self) -> int:
    return len(self.envs)

  def begin(self) -> wrappers.Transition:
    return _transition(self._pool.map(lambda env: (*env.begin(), False), self.envs))

  def step(self, actions, needs_reset) -> wrappers.Transition:
    def one(env, action, reset):
      if reset:
        return (*env.begin(), False)  # frame, goal, success, not truncated
      frame, success, ended = env.act(int(action))
      return frame, env.goal, success, ended

    return _transition(self._pool.map(one, self.envs, np.asarray(actions), np.asarray(needs_reset)))

  def close(self) -> None:
    for env in self.envs:
      try:
        env.close()
      except Exception:  # a broken environment may not close cleanly
        logging.exception("Closing an environment failed")
    self._pool.shutdown(wait=False)


def _transition(steps) -> wrappers.Transition:
  frames, goals, success, truncated = zip(*steps, strict=True)
  return wrappers.Transition(
    state=jnp.zeros(len(frames), jnp.int32),
    pixels=jnp.asarray(np.stack(frames)),
    goal=jnp.asarray(goals, jnp.int32),
    success=jnp.asarray(success, bool),
    truncated=jnp.asarray(truncated, bool),
  )


class JaxEnvBatch:
  """`batch` episodes of a JAX environment on the host CPU, with goals of its training pool.

  Batches of the same environment object and size share one compilation, so build the
  environment once and hand it to every actor's batch.
  """

  def __init__(self, env: Environment, batch: int, seed: int):
    self._reset, self._step = _jitted(env, batch)
    self.num_envs, self.goals, self.num_actions = batch, tuple(env.goals), env.num_actions
    self.frame_shape = tuple(env.observation_shape)
    self.goal_slots = getattr(env, "goal_slots", None)
    self._host, self._device = jax.devices("cpu")[0], jax.devices()[0]
    self._key, self._state = jax.device_put(jax.random.PRNGKey(seed), self._host), None

  def begin(self) -> wrappers.Transition:
    self._key, key = jax.random.split(self._key)
    return self._observed(self._reset(key))

  def step(self, actions, needs_reset) -> wrappers.Transition:
    self._key, key = jax.random.split(self._key)
    actions, needs_reset = jax.device_put((actions, needs_reset), self._host)
    return self._observed(self._step(key, self._state, actions, needs_reset))

  def _observed(self, tr: wrappers.Transition) -> wrappers.Transition:
    self._state = tr.state  # stays on the host
    return jax.device_put(tr._replace(state=jnp.zeros(len(tr.goal), jnp.int32)), self._device)

  def close(self) -> None:
    self._state = None


@functools.lru_cache(maxsize=8)
def _jitted(env: Environment, batch: int):
  """(reset, transition) of an environment, jitted once for every batch of it."""
  reset = jax.jit(functools.partial(wrappers.reset, env, batch=batch))
  return reset, jax.jit(functools.partial(wrappers.transition, env))
