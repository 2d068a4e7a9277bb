"""Sebulba's actors as Ray actors (`sebulba.actors="ray"`): host environments on many machines,
one learner.

  python -m experiments.sebulba --config=experiments/configs/android_common.py \
    --config.sebulba.actors=ray --config.sebulba.ray_address=auto --workdir=DIR

Each Ray actor (`RayActorWorker`, `sebulba.ray_actor_cpus` CPUs) builds its own environments
and runs `sebulba.Actor`'s rollout (policy, CLIP reward and the fused trainer's episode rules)
on its machine. The learner keeps one rollout request in flight per actor, takes whichever
finishes first (`RayInbox`), updates, and sends that actor its next request at once, with the
newest parameters: the learner puts them in Ray's object store after each update (every
`sebulba.params_every_updates`), and a request carries the reference, so each parameter
version crosses the network once per machine. An actor that Ray reports lost (its process or
node died) is created again with a new seed and counted in `actor_restarts`; environment
errors are rebuilt inside the actor, as a thread does. The learner connects to
`sebulba.ray_address` ("auto" on a node of a running cluster, "ray://head:10001" from outside
it) or, with "", to a Ray it starts on this machine, unless `ray.init` was called before.
"""

import collections
import os
import pathlib
import queue
import sys

import jax
import ml_collections

from experiments.sebulba_procs import ActorSpec

_ROOT = str(pathlib.Path(__file__).resolve().parents[1])


def _ray():
  """The `ray` module (the 'ray' extra; the core install leaves it out)."""
  try:
    import ray
  except ImportError as error:
    raise ImportError(
      "sebulba.actors='ray' needs Ray: install the 'ray' extra (pip install 'vlm-rewards[ray]', "
      "or `make install-test`, whose lock has it), or use sebulba.actors='processes'."
    ) from error
  return ray


class RayActorWorker:
  """One actor on a Ray worker: its environments, policy and reward (`sebulba.Actor`)."""

  def __init__(self, index: int, restarts: int, spec: ActorSpec):
    from experiments import sebulba

    make_envs = spec.factory()
    envs = make_envs(index, restarts)
    trainer, fns, _ = sebulba._compiled(spec.config_json, sebulba._describe(envs))
    self.actor = sebulba.Actor(index, trainer, make_envs, None, None, None, fns, None, envs)
    self.actor.restarts = restarts
    self.actor.key = jax.random.fold_in(self.actor.key, restarts)
    self.started = False

  def pid(self) -> int:
    return os.getpid()

  def rollout(self, params, version: int):
    """The next rollout (host arrays), or ("error", text) after an environment error (the
    environments are rebuilt at the next call)."""
    try:
      if not self.started:
        self.actor.begin()
        self.started = True
      return jax.device_get(self.actor.collect(params, version))
    except Exception as error:
      self.actor.restarts += 1
      self.actor.close()
      self.started = False
      return ("error", f"{type(error).__name__}: {error}")


class RayParams:
  """The learner's parameter broadcast: the newest version in Ray's object store."""

  def __init__(self, params, version: int):
    self.set(params, version)

  def set(self, params, version: int) -> None:
    self.ref, self.version = _ray().put(jax.device_get(params)), version

  def close(self) -> None:
    self.ref = None


class RayActor:
  """The learner's handle on one Ray actor, created again when Ray reports it lost."""

  def __init__(self, index: int, spec: ActorSpec, options: dict):
    self.index, self.spec, self.options = index, spec, options
    self.deaths, self.env_errors = 0, 0
    self.recent = collections.deque()  # frames stay on the worker: no training GIF
    self._start()

  @property
  def restarts(self) -> int:
    return self.deaths + self.env_errors

  def _start(self) -> None:
    worker = _ray().remote(RayActorWorker).options(**self.options)
    self.handle = worker.remote(self.index, self.deaths, self.spec)

  def restart(self) -> None:
    self.deaths += 1
    self._start()

  def join(self, timeout: float = 0.0) -> None:
    del timeout  # a Ray actor is ended by `close`

  def close(self) -> None:
    _ray().kill(self.handle)


class RayInbox:
  """The learner's rollout queue over its Ray actors (`get(timeout)` raises queue.Empty)."""

  def __init__(self, actors: list[RayActor], params: RayParams, errors):
    self.actors, self.params, self.errors = actors, params, errors
    self.pending = {}  # rollout reference -> actor
    for actor in actors:
      self._request(actor)

  def _request(self, actor: RayActor) -> None:
    ref = actor.handle.rollout.remote(self.params.ref, self.params.version)
    self.pending[ref] = actor

  def get(self, timeout: float = 1.0):
    ready, _ = _ray().wait(list(self.pending), num_returns=1, timeout=timeout)
    if not ready:
      raise queue.Empty
    actor = self.pending.pop(ready[0])
    try:
      item = _ray().get(ready[0])
    except _ray().exceptions.RayError as error:  # the actor (its process or machine) is lost
      message = f"Ray actor {actor.index} lost ({type(error).__name__}); creating it again"
      print(message, file=sys.stderr)
      self.errors.put(RuntimeError(message))
      actor.restart()
      self._request(actor)
      raise queue.Empty from None
    self._request(actor)
    if isinstance(item, tuple) and item[:1] == ("error",):
      actor.env_errors += 1
      self.errors.put(RuntimeError(f"Ray actor {actor.index}: {item[1]}"))
      raise queue.Empty
    return item


class _Stop:
  def __init__(self):
    self.stopped = False

  def set(self) -> None:
    self.stopped = True

  def is_set(self) -> bool:
    return self.stopped


def worker_options(s: ml_collections.ConfigDict) -> dict:
  """Ray options of an actor: its CPUs, and environment variables that make it import this
  checkout's code and leave an accelerator's memory to the learner."""
  env = {
    "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
  }
  if s.get("actor_platform"):
    env["JAX_PLATFORMS"] = s.actor_platform
  cpus = s.get("ray_actor_cpus", 1)
  return dict(num_cpus=cpus, runtime_env={"env_vars": env}, max_restarts=0)


def start(config: ml_collections.ConfigDict, make_envs, params, version: int):
  """(actors, inbox, parameter broadcast, stop flag, errors) of `sebulba.num_actors` Ray actors.
  `make_envs` must pickle (None: the config's environments)."""
  s = config.sebulba
  if not _ray().is_initialized():
    _ray().init(address=s.get("ray_address") or None, include_dashboard=False)
  spec, errors = ActorSpec(config.to_json(), make_envs), queue.Queue()
  broadcast = RayParams(params, version)
  actors = [RayActor(i, spec, worker_options(s)) for i in range(s.num_actors)]
  return actors, RayInbox(actors, broadcast, errors), broadcast, _Stop(), errors
