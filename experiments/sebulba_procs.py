"""Sebulba's actors as processes on one machine (`sebulba.actors="processes"`).

Each actor process builds its own host environments and runs `sebulba.Actor`'s loop (the
policy, the CLIP reward and the fused trainer's episode rules, as an actor thread does), with
three channels to the learner, none of which a dying actor can leave locked:

* parameters: one shared-memory block (`SharedParams`) that the learner overwrites after each
  update (every `sebulba.params_every_updates`), guarded by a sequence number instead of a
  lock: the learner makes it odd while it writes and even after, and an actor copies until it
  reads the same even number before and after its copy;
* rollouts: a pipe per actor, read by the learner from whichever actor is ready
  (`ProcessInbox`); an actor's `send` blocks while the learner is busy, so at most one rollout
  per actor waits, and a pipe left half-written by a killed actor is dropped with the actor;
* environment errors: sent on the same pipe as ("error", text) and counted in
  `actor_restarts`, while the actor rebuilds its environments as a thread does.

The learner checks its actors before each wait: a process that died (killed, out of memory, a
crash in native code) is started again with a new seed and the current parameters, and counts
as a restart; training goes on with the others meanwhile. Processes are started with "spawn"
(JAX is not fork-safe) and compile their own actor functions.
"""

import collections
import contextlib
import dataclasses
import functools
import json
import logging
import multiprocessing as mp
import os
import queue
import sys
import time
from multiprocessing import connection, shared_memory

import jax
import ml_collections
import numpy as np


@dataclasses.dataclass(frozen=True)
class ActorSpec:
  """What an actor needs to build itself in another process: the run's config, and the
  environment factory (picklable: a module-level function or a partial of one; None for the
  config's own, `registry.make_host_envs`)."""

  config_json: str
  make_envs: object = None

  def factory(self):
    if self.make_envs is not None:
      return self.make_envs
    from experiments import registry

    config = ml_collections.ConfigDict(json.loads(self.config_json))
    return functools.partial(registry.make_host_envs, config)


# ------------------------------------------------------------------ parameters


@dataclasses.dataclass(frozen=True)
class ParamsLayout:
  """Where each leaf of the acting parameters lives in the shared block."""

  treedef: object
  shapes: tuple
  dtypes: tuple
  offsets: tuple
  nbytes: int


def params_layout(params) -> ParamsLayout:
  leaves, treedef = jax.tree.flatten(params)
  shapes = tuple(tuple(np.shape(x)) for x in leaves)
  dtypes = tuple(np.dtype(x.dtype).str for x in leaves)
  sizes = [
    int(np.prod(s, dtype=np.int64)) * np.dtype(d).itemsize
    for s, d in zip(shapes, dtypes, strict=True)
  ]
  offsets = tuple(int(o) for o in np.cumsum([0, *sizes[:-1]]))
  return ParamsLayout(treedef, shapes, dtypes, offsets, max(1, sum(sizes)))


class SharedParams:
  """The learner's side: writes the acting parameters and their version into shared memory."""

  def __init__(self, params, version: int, ctx):
    self.layout = params_layout(params)
    self._shm = shared_memory.SharedMemory(create=True, size=self.layout.nbytes)
    self._seq = ctx.RawValue("q", 0)
    self._version = ctx.RawValue("q", -1)
    self.set(params, version)

  def set(self, params, version: int) -> None:
    leaves = jax.tree.leaves(jax.device_get(params))
    self._seq.value += 1  # odd: a write is under way
    for leaf, offset in zip(leaves, self.layout.offsets, strict=True):
      data = np.ascontiguousarray(leaf).view(np.uint8).ravel()
      self._shm.buf[offset : offset + data.size] = data
    self._version.value = version
    self._seq.value += 1  # even: consistent

  def handle(self) -> tuple:
    """What an actor process needs to read them (picklable)."""
    return self._shm.name, self.layout, self._seq, self._version

  def close(self) -> None:
    self._shm.close()
    self._shm.unlink()


class SharedParamsView:
  """An actor's side: `get()` -> (parameters, version), copied out of shared memory when the
  learner has written a newer version."""

  def __init__(self, handle: tuple):
    name, self.layout, self._seq, self._version = handle
    self._shm = shared_memory.SharedMemory(name=name)
    self._latest = (None, -2)

  def get(self):
    if self._version.value == self._latest[1]:
      return self._latest
    while True:
      before = self._seq.value
      if before % 2 == 0:
        version = self._version.value
        leaves = [self._leaf(i) for i in range(len(self.layout.shapes))]
        if self._seq.value == before:
          break
      time.sleep(0.001)
    self._latest = (jax.tree.unflatten(self.layout.treedef, leaves), version)
    return self._latest

  def _leaf(self, i: int) -> np.ndarray:
    shape, dtype, offset = (
      self.layout.shapes[i],
      np.dtype(self.layout.dtypes[i]),
      self.layout.offsets[i],
    )
    count = int(np.prod(shape, dtype=np.int64))
    return np.frombuffer(self._shm.buf, dtype, count, offset).reshape(shape).copy()


# ------------------------------------------------------------------ the actor process


class _Flag:
  """A stop flag in shared memory (no lock for a dying process to hold)."""

  def __init__(self, ctx):
    self._value = ctx.RawValue("b", 0)

  def set(self) -> None:
    self._value.value = 1

  def is_set(self) -> bool:
    return bool(self._value.value)


class _PipeOut:
  """An actor process's end of its pipe: rollouts (host arrays) and environment errors."""

  def __init__(self, conn):
    self._conn = conn

  def put(self, item, timeout=None) -> None:
    del timeout  # send blocks until the learner reads: at most one rollout waits
    if isinstance(item, BaseException):
      self._conn.send(("error", f"{type(item).__name__}: {item}"))
    else:
      self._conn.send(jax.device_get(item))


def run_actor_process(index: int, restarts: int, spec: ActorSpec, params_handle, conn, stop):
  """An actor process's main: builds its environments and actor, then runs the actor loop
  until the learner sets `stop` (or kills it)."""
  from experiments import sebulba

  make_envs = spec.factory()
  envs = make_envs(index, restarts)
  trainer, fns, _ = sebulba._compiled(spec.config_json, sebulba._describe(envs))
  out = _PipeOut(conn)
  actor = sebulba.Actor(
    index, trainer, make_envs, SharedParamsView(params_handle), out, stop, fns, out, envs
  )
  actor.restarts = restarts
  actor.key = jax.random.fold_in(actor.key, restarts)  # a restarted process acts anew
  try:
    actor.run()
  finally:
    actor.close()
    conn.close()


# ------------------------------------------------------------------ the learner's side


class ActorProcess:
  """The learner's handle on one actor process: starts it, restarts it when it has died."""

  def __init__(self, index: int, spec: ActorSpec, params: SharedParams, stop: _Flag, ctx, env=None):
    self.index, self.spec, self.params, self.stop, self.ctx = index, spec, params, stop, ctx
    self.env = env or {}
    self.deaths, self.env_errors = 0, 0
    self.recent = collections.deque()  # frames stay in the process: no training GIF
    self.process = self.reader = None
    self._start()

  @property
  def restarts(self) -> int:
    return self.deaths + self.env_errors

  def _start(self) -> None:
    reader, writer = self.ctx.Pipe(duplex=False)
    args = (self.index, self.deaths, self.spec, self.params.handle(), writer, self.stop)
    self.process = self.ctx.Process(
      target=run_actor_process, args=args, name=f"actor-{self.index}", daemon=True
    )
    with _environ(self.env):
      self.process.start()
    writer.close()
    self.reader = reader

  def check(self, errors: queue.Queue | None = None) -> None:
    """Starts the process again if it died (not when the run is stopping)."""
    if self.process.is_alive() or self.stop.is_set():
      return
    self.deaths += 1
    message = f"actor process {self.index} died (exit code {self.process.exitcode})"
    logging.error("%s; starting it again (restart %d)", message, self.restarts)
    print(f"{message}; starting it again", file=sys.stderr)
    if errors is not None:
      errors.put(RuntimeError(message))
    self.reader.close()
    self._start()

  def join(self, timeout: float = 5.0) -> None:
    self.process.join(timeout=min(timeout, 5.0))

  def close(self) -> None:
    if self.process.is_alive():
      self.process.terminate()
      self.process.join(timeout=10)
    if self.process.is_alive():
      self.process.kill()
      self.process.join()
    self.reader.close()


@contextlib.contextmanager
def _environ(values: dict):
  """Environment variables set for a child process's start (it copies them)."""
  saved = {k: os.environ.get(k) for k in values}
  os.environ.update(values)
  try:
    yield
  finally:
    for k, v in saved.items():
      if v is None:
        os.environ.pop(k, None)
      else:
        os.environ[k] = v


class ProcessInbox:
  """The learner's rollout queue over the actors' pipes: `get(timeout)` checks the actors,
  then returns the next rollout of whichever is ready (raises queue.Empty after `timeout`)."""

  def __init__(self, actors: list[ActorProcess], errors: queue.Queue):
    self.actors, self.errors = actors, errors

  def get(self, timeout: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
      for actor in self.actors:
        actor.check(self.errors)
      by_reader = {a.reader: a for a in self.actors}
      left = deadline - time.monotonic()
      for reader in connection.wait(list(by_reader), timeout=max(0.0, min(left, 0.5))):
        actor = by_reader[reader]
        try:
          item = reader.recv()
        except (EOFError, OSError):  # the process ended mid-message; `check` restarts it
          continue
        if isinstance(item, tuple) and item[:1] == ("error",):
          actor.env_errors += 1
          self.errors.put(RuntimeError(f"actor process {actor.index}: {item[1]}"))
          continue
        return item
      if time.monotonic() >= deadline:
        raise queue.Empty


def start(config: ml_collections.ConfigDict, make_envs, params, version: int):
  """(actors, rollout inbox, parameter publisher, stop flag, errors) of `sebulba.num_actors`
  actor processes. `make_envs` must pickle (None: the config's environments)."""
  s = config.sebulba
  ctx = mp.get_context("spawn")
  spec = ActorSpec(config.to_json(), make_envs)
  shared, stop, errors = SharedParams(params, version, ctx), _Flag(ctx), queue.Queue()
  env = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}  # actors share an accelerator with the learner
  if s.get("actor_platform"):
    env["JAX_PLATFORMS"] = s.actor_platform
  actors = [ActorProcess(i, spec, shared, stop, ctx, env) for i in range(s.num_actors)]
  return actors, ProcessInbox(actors, errors), shared, stop, errors
