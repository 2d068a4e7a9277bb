"""A Sebulba actor: a batch of host environments, the policy and the CLIP reward.

`Actor.collect` is one rollout: per step the policy acts for the whole batch on the device
(`agent.act`), the environments step on the host, the CLIP scores every new frame at once, and
the fused trainer's own `trainer.finish_step` applies the episode rules; after
`unroll_length` steps the trajectory is the fused trainer's `trainer.trajectory`. As a thread
(`Actor.run`, sebulba.actors="threads") it loops over rollouts and rebuilds its environments
after an error; actor processes (`sebulba_procs.py`) run the same loop in a process of their
own, and Ray actors (`sebulba_ray.py`) call `begin` and `collect` per request.
"""

import collections
import dataclasses
import functools
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from absl import logging

from experiments import trainer as trainer_lib


class ParamsBox:
  """The latest acting parameters and their version (the update that made them)."""

  def __init__(self, params, version: int = 0):
    self._lock = threading.Lock()
    self._value = (params, version)

  def set(self, params, version: int) -> None:
    with self._lock:
      self._value = (params, version)

  def get(self):
    with self._lock:
      return self._value


@dataclasses.dataclass
class Rollout:
  trajectory: object  # agents.types.Trajectory [T, B]
  metrics: dict  # trainer.rollout_metrics sums
  params_version: int  # the update whose parameters acted


class ActorFunctions(NamedTuple):
  """The jitted pieces of an actor's step (`actor_functions`), shared by every actor."""

  init: Callable  # (reward params, first Transition [B]) -> trainer.Actor
  act: Callable  # the agent's act: (params, key, inputs, core) -> (ActorOutput, core)
  finish: Callable  # (reward params, actor, Transition, actions, logits, core) -> (actor, StepOut)
  trajectory: Callable  # (initial inputs, initial core, inputs [T], outs [T]) -> Trajectory
  metrics: Callable  # outs [T] -> rollout metric sums


class Actor(threading.Thread):
  """One actor thread: a batch of host environments, the policy and the reward on the device.

  `make_envs(index, restarts)` builds its batch, anew after each environment error; `envs`,
  if given, is the batch it starts with.
  """

  RECORDED_STEPS = 96  # the last steps of the first environment, kept for the run's GIF

  def __init__(self, index, trainer, make_envs, params, rollouts, stop, fns, errors, envs=None):
    super().__init__(name=f"actor-{index}", daemon=True)
    self.index, self.trainer, self.make_envs, self.fns = index, trainer, make_envs, fns
    self.params, self.rollouts, self.stop, self.errors = params, rollouts, stop, errors
    self.key = jax.random.fold_in(jax.random.key(trainer.config.seed), 1000 + index)
    self.restarts = 0
    self.envs, self.state = envs, None  # the batch and its trainer.Actor (episode state)
    # (frame, goal, VLM reward, ground truth, first step of an episode) of environment 0.
    self.recent = collections.deque(maxlen=self.RECORDED_STEPS)

  def run(self) -> None:
    while not self.stop.is_set():
      try:
        self._run_envs()
      except Exception as error:  # an environment failed: rebuild them and go on
        self.restarts += 1
        logging.exception("Actor %d: environment error (restart %d)", self.index, self.restarts)
        print(
          f"actor {self.index}: {type(error).__name__}: {error}; restarting its environments",
          file=sys.stderr,
        )
        self.errors.put(error)
        self.close()
        time.sleep(min(0.1 * 2**self.restarts, 30.0))  # back off while the device recovers

  def close(self) -> None:
    if self.envs is not None:
      self.envs.close()
    self.envs = None

  def _run_envs(self) -> None:
    self.begin()
    while not self.stop.is_set():
      rollout = self.collect(*self.params.get())
      while not self.stop.is_set():
        try:
          self.rollouts.put(rollout, timeout=0.5)
          break
        except queue.Full:
          continue

  def begin(self) -> None:
    """Builds the environments if needed and starts their episodes."""
    if self.envs is None:
      self.envs = self.make_envs(self.index, self.restarts)
    self.state = self.fns.init(self.trainer.reward_model.params, self.envs.begin())

  def collect(self, params, version: int) -> Rollout:
    """One rollout of `unroll_length` steps of every environment, acting with `params` (the
    learner's update `version`), from where the last one ended."""
    rp, actor = self.trainer.reward_model.params, self.state
    initial_inputs, initial_core = actor.inputs, actor.core_state
    steps, seen = [], []
    for _ in range(self.trainer.config.unroll_length):
      self.key, key = jax.random.split(self.key)
      action, core = self.fns.act(params, key, actor.inputs, actor.core_state)
      tr = self.envs.step(action.actions, actor.needs_reset)
      actor, out = self.fns.finish(rp, actor, tr, action.actions, action.logits, core)
      steps.append((actor.inputs, out))
      seen.append((tr.pixels[0], tr.goal[0]))
    self.state = actor
    inputs, outs = jax.tree.map(lambda *x: jnp.stack(x), *steps)
    ep = outs.episode
    pixels, goals = zip(*seen, strict=True)
    record = (pixels, goals, ep.tracked[:, 0], ep.success[:, 0], ep.first[:, 0])
    self.recent.extend(zip(*jax.device_get(record), strict=True))
    traj = self.fns.trajectory(initial_inputs, initial_core, inputs, outs)
    return Rollout(traj, self.fns.metrics(outs), version)


def actor_functions(trainer) -> ActorFunctions:
  """The jitted pieces every actor shares (compiled once for the batch size)."""

  def finish(rp, actor, tr, actions, logits, core):
    score = trainer.reward_model.score(rp, tr.pixels, tr.goal)
    return trainer_lib.finish_step(trainer, rp, actor, tr, actions, logits, core, score)

  return ActorFunctions(
    init=jax.jit(functools.partial(trainer_lib.initial_actor, trainer)),
    act=jax.jit(trainer.agent.act),
    finish=jax.jit(finish),
    trajectory=jax.jit(trainer_lib.trajectory),
    metrics=jax.jit(trainer_lib.rollout_metrics),
  )
