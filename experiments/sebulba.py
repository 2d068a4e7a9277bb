"""Sebulba: actors stepping host-side environments, one learner with the fused update.

  python -m experiments.sebulba --config=experiments/configs/android_common.py --workdir=DIR
  python -m experiments.sebulba --config=experiments/configs/android_common.py:smoke --workdir=DIR

For environments that live on the host (android_env: emulators, or our launcher simulator
through the real package), where the fused one-compiled-step trainer cannot run. Sebulba knows
no particular environment: each actor's batch is an `envs.base.HostEnvBatch` that
`experiments.registry.make_host_envs` builds from the config's `env.name` (android_env's
`OpenAppEnv`s, or any JAX environment stepped on the host), and the goals, frame shape and
action count come from that batch. The layout of Stoix's and Cleanba's Sebulba:

* `num_actors` actors, each stepping its own batch of `envs_per_actor` host
  environments. Per step the actor runs the policy on the device for its whole batch
  (`agent.act`), steps its environments on the host, then scores all the new frames with the
  CLIP at once and applies the episode rules with the fused trainer's own
  `trainer.finish_step` (same reward, termination on reward, truncation at the step limit,
  reset on the step after an episode end). After `unroll_length` steps it builds the
  learner's trajectory with `trainer.trajectory` and puts it in a bounded queue (an actor
  blocks when the learner is behind, so no data is dropped and memory is bounded).
* The learner (the main thread) takes trajectories in arrival order and applies
  `agent.update`, the function the fused trainer applies, jitted once; then it publishes the
  new acting parameters, which actors pick up at their next rollout. Acting parameters may lag
  by a few updates; V-trace corrects for it (the trajectories carry the behaviour logits).
* An actor whose environment raises (an emulator restart, a lost adb connection) logs the
  error, closes and rebuilds its environments and goes on; the learner does not stop
  (`actor_restarts` in the metrics). After `max_actor_restarts` in all, the run stops with the
  last error.

`sebulba.actors` says what an actor is: "threads" (here, sharing this process and Python's
lock), "processes" (`experiments/sebulba_procs.py`: on this machine, parameters in shared
memory, rollouts over pipes; a dead process is started again), or "ray"
(`experiments/sebulba_ray.py`: Ray actors on a cluster, parameters through Ray's object store;
a lost actor is created again). All run `Actor.collect`, and the learner is the same.

Workdir as the fused trainer's (`experiments/run_io.py`): config.json, metrics.jsonl with
TensorBoard events, checkpoints of the agent state (`--resume` continues from the latest; host
environments start fresh episodes, so a resumed run is not bit-identical the way a fused run
is), returns.png (VLM against ground-truth return of the training episodes), and a progress
bar, and train.gif (the last whole episodes of actor 0's first environment; actor threads
only, as the frames of processes and Ray actors stay where they are). Ground truth (for
android_env, the foreground activity over adb) is measured, never given to the learner.
"""

import dataclasses
import functools
import json
import logging as py_logging
import queue
import sys
import threading
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import app, flags, logging
from jax.sharding import Mesh
from tqdm import tqdm

from envs import wrappers
from envs.base import HostEnvBatch
from experiments import flags_lib, paths, registry, run_io
from experiments import train as train_lib
from experiments import trainer as trainer_lib
from experiments.sebulba_actor import Actor, ActorFunctions, ParamsBox, Rollout, actor_functions


def num_updates(config: ml_collections.ConfigDict, frames: int | None = None) -> int:
  """Updates in `frames` (default: the run's total_frames) of a Sebulba run: one per actor
  rollout of envs_per_actor x unroll_length frames."""
  frames = config.total_frames if frames is None else frames
  return max(1, frames // (config.sebulba.envs_per_actor * config.unroll_length))


def make_agent(config: ml_collections.ConfigDict, num_actions: int):
  """The config's agent, its learning-rate schedule over the updates of `schedule_frames`
  (`trainer.resolve_schedule`)."""
  horizon = num_updates(config, config.get("schedule_frames", 0) or config.total_frames)
  return registry.make_agent(config.agent, num_actions, horizon)


def make_trainer(config: ml_collections.ConfigDict, goals, num_actions: int, goal_slots=None):
  """The fused trainer's pieces (reward model, agent) for host environments of these goals
  and actions (the trainer holds no JAX env)."""
  mesh = Mesh(np.array(jax.devices()[:1]), ("data",))
  reward_model = registry.reward_model(config, goals, goal_slots)
  return trainer_lib.Trainer(config, None, reward_model, make_agent(config, num_actions), mesh)


def check_envs(config: ml_collections.ConfigDict, envs: HostEnvBatch) -> None:
  """Raises ValueError unless `envs` is a host-env batch of the config's size."""
  if not isinstance(envs, HostEnvBatch):
    raise ValueError(
      f"env.name={config.env.get('name')!r} gave a {type(envs).__name__}, not an "
      "envs.base.HostEnvBatch (num_envs, goals, num_actions, frame_shape, begin, step, close)."
    )
  if envs.num_envs != config.sebulba.envs_per_actor:
    raise ValueError(
      f"env.name={config.env.get('name')!r} built {envs.num_envs} environments for an actor, "
      f"but sebulba.envs_per_actor={config.sebulba.envs_per_actor}."
    )


def _describe(envs: HostEnvBatch) -> str:
  """What the learner's compilation depends on in a batch, as a cache key."""
  slots = getattr(envs, "goal_slots", None)
  return json.dumps(
    dict(
      goals=list(envs.goals),
      goal_slots=None if slots is None else list(slots),
      num_actions=int(envs.num_actions),
      frame_shape=[int(n) for n in envs.frame_shape],
    )
  )


@functools.lru_cache(maxsize=1)
def _compiled(config_json: str, envs_json: str):
  """(trainer, actor functions, learner update) of a config and its host environments
  (`_describe`), kept for the next `train` of the same run in this process (a resume), so that
  nothing compiles twice."""
  e = json.loads(envs_json)
  config = ml_collections.ConfigDict(json.loads(config_json))
  trainer = make_trainer(config, e["goals"], e["num_actions"], e["goal_slots"])
  return trainer, actor_functions(trainer), learner_update(trainer.agent)


def learner_update(agent):
  """The learner's step: exactly the fused trainer's `agent.update`, jitted."""
  return jax.jit(agent.update)


def train(
  config: ml_collections.ConfigDict,
  workdir,
  make_envs: Callable | None = None,
  *,
  resume: bool = False,
  restart: bool = False,
  stop_after_updates: int | None = None,
):
  """Runs (or resumes) a Sebulba run; returns (agent state, logged rows).

  `make_envs(actor_index, restart_count) -> envs.base.HostEnvBatch` (default: the config's,
  `registry.make_host_envs`). Actor 0's first batch is built here, before anything else: its
  goals, actions and frame shape fix the reward model and the agent. Stops after the config's
  number of updates, on SIGTERM / SIGINT (saving a checkpoint), or after
  `sebulba.max_actor_restarts` environment errors. `stop_after_updates` ends the run early (as
  if interrupted, with a checkpoint) after that many updates in total, counting those before a
  resume.
  """
  workdir = paths.as_path(workdir)  # a local folder, or a cloud URI (gs://...)
  run_io.check_workdir(workdir, resume, restart)
  config = trainer_lib.resolve_schedule(config, workdir if resume else None)
  actor_kind(config)  # before anything starts
  factory = make_envs or functools.partial(registry.make_host_envs, config)
  first = factory(0, 0)
  actors, fleet = [], None
  owner = checkpointer = logger = None
  try:
    check_envs(config, first)
    trainer, fns, update = _compiled(config.to_json(), _describe(first))
    owner = run_io.Workdir(workdir, config, resume=resume, restart=restart)
    checkpointer = run_io.Checkpointer(
      workdir, keep=config.checkpoints_to_keep, clean_partial=resume
    )
    agent_state = trainer.agent.init(
      jax.random.key(config.seed), _example_inputs(trainer, fns, first)
    )
    start = 0
    if resume:
      start, agent_state = checkpointer.restore(jax.eval_shape(lambda: agent_state))
    tracker = run_io.wandb_tracker(config, workdir)
    logger = run_io.MetricsLogger(workdir, keep_until=start if resume else None, tracker=tracker)
    acting = trainer.agent.acting_params(agent_state)
    fleet = start_actors(config, trainer, fns, factory, make_envs, first, acting, start)
    actors = fleet.actors
    learner = _Learner(config, trainer, update, fleet.params, logger, checkpointer)
    with run_io.StopSignals() as signals:  # a second signal exits at once
      agent_state = learner.run(
        agent_state, start, actors, fleet.rollouts, fleet.errors, signals, stop_after_updates
      )
  finally:
    if fleet is not None:
      fleet.close()
    if fleet is None:
      first.close()
    for resource in (logger, checkpointer, owner):
      if resource is not None:
        resource.close()
  rows = run_io.read_metrics(logger.path)
  if rows:
    run_io.plot_returns(rows, workdir / "returns.png")
  write_gif(actors[0].recent, trainer.reward_model.goals, workdir / "train.gif")
  if signals.signum is not None:
    print(f"Stopped at update {learner.update_no}; continue with --resume.", file=sys.stderr)
  return agent_state, rows


@dataclasses.dataclass
class Fleet:
  """A run's actors and their channels to the learner: `rollouts.get(timeout)` (raises
  queue.Empty), `params.set(params, version)`, `errors` (a queue.Queue of the actors'
  errors), `stop.set()`."""

  actors: list
  rollouts: object
  params: object
  errors: queue.Queue
  stop: object
  shutdown: Callable | None = None

  def close(self) -> None:
    self.stop.set()
    for a in self.actors:
      a.join(timeout=30)
      a.close()
    if self.shutdown is not None:
      self.shutdown()


ACTOR_KINDS = ("threads", "processes", "ray")


def actor_kind(config: ml_collections.ConfigDict) -> str:
  """`sebulba.actors`, checked (ValueError names the choices)."""
  kind = config.sebulba.get("actors", "threads")
  if kind not in ACTOR_KINDS:
    raise ValueError(f"Bad config: sebulba.actors must be one of {ACTOR_KINDS}, got {kind!r}.")
  return kind


def start_actors(config, trainer, fns, factory, make_envs, first, params, version) -> Fleet:
  """Starts `sebulba.num_actors` actors of the kind `sebulba.actors` ("threads" in this process,
  "processes" on this machine, "ray" on a Ray cluster), acting with `params` (update
  `version`). Threads use `factory` and start with the batch `first`; processes and Ray
  actors build their own batches with `make_envs` (None: the config's)."""
  s, kind = config.sebulba, actor_kind(config)
  if kind == "processes":
    from experiments import sebulba_procs

    actors, inbox, shared, stop, errors = sebulba_procs.start(config, make_envs, params, version)
    first.close()  # the processes build their own
    return Fleet(actors, inbox, shared, errors, stop, shutdown=shared.close)
  if kind == "ray":
    from experiments import sebulba_ray

    actors, inbox, broadcast, stop, errors = sebulba_ray.start(config, make_envs, params, version)
    first.close()  # the Ray actors build their own
    return Fleet(actors, inbox, broadcast, errors, stop, shutdown=broadcast.close)
  box, stop = ParamsBox(params, version), threading.Event()
  rollouts, errors = queue.Queue(maxsize=s.queue_size), queue.Queue()
  actors = [
    Actor(i, trainer, factory, box, rollouts, stop, fns, errors, first if i == 0 else None)
    for i in range(s.num_actors)
  ]
  for a in actors:
    a.start()
  return Fleet(actors, rollouts, box, errors, stop)


class _Learner:
  """The learner's loop on the main thread: updates, parameter publishing, metrics rows and
  checkpoints."""

  def __init__(self, config, trainer, update, params: ParamsBox, logger, checkpointer):
    self.config, self.trainer, self.update, self.params = config, trainer, update, params
    self.logger, self.checkpointer = logger, checkpointer
    self.update_no = 0

  def run(self, agent_state, start, actors, rollouts, errors, signals, stop_after_updates):
    config, s = self.config, self.config.sebulba
    total = num_updates(config)
    end = total if stop_after_updates is None else min(total, stop_after_updates)
    frames_per_update = s.envs_per_actor * config.unroll_length
    sums, lags, tick, self.update_no = [], [], time.perf_counter(), start
    with tqdm(total=total, initial=start, desc="sebulba", unit="update") as bar:
      while self.update_no < end and signals.signum is None:
        restarts = sum(a.restarts for a in actors)
        if restarts > s.max_actor_restarts:
          raise RuntimeError(
            f"{restarts} actor restarts (sebulba.max_actor_restarts={s.max_actor_restarts}); "
            "the last environment error follows."
          ) from _last(errors)
        try:
          rollout = rollouts.get(timeout=1.0)
        except queue.Empty:
          continue
        agent_state, metrics = self._apply(agent_state, rollout)
        sums.append(metrics)
        lags.append(self.update_no - 1 - rollout.params_version)
        bar.update(1)
        if self.update_no % s.log_every_updates == 0 or self.update_no == total:
          chunk = jax.device_get(trainer_lib.chunk_metrics(_stack(sums)))
          row = trainer_lib.summarise({k: float(v) for k, v in chunk.items()})
          now = time.perf_counter()
          row.update(
            frames=self.update_no * frames_per_update,
            fps=len(sums) * frames_per_update / (now - tick),
            policy_lag=float(np.mean(lags)),
            actor_restarts=float(sum(a.restarts for a in actors)),
          )
          self.logger.write(self.update_no, row)
          sums, lags, tick = [], [], now
        if self.update_no % s.checkpoint_every_updates == 0:
          self.checkpointer.save(self.update_no, agent_state)
    if self.checkpointer.latest_step() != self.update_no:
      self.checkpointer.save(self.update_no, agent_state)
    return agent_state

  def _apply(self, agent_state, rollout: Rollout):
    """One update on a rollout; the new acting parameters go to the actors. Returns the new
    state and the update's and rollout's metrics."""
    new_state, learn = self.update(agent_state, rollout.trajectory)
    when = f"at update {self.update_no + 1}; the update was discarded"
    train_lib.check_loss(
      {"loss": float(learn["loss"])}, self.config.max_abs_loss, when, self.checkpointer
    )
    self.update_no += 1
    if self.update_no % self.config.sebulba.get("params_every_updates", 1) == 0:
      self.params.set(self.trainer.agent.acting_params(new_state), self.update_no)
    return new_state, {**learn, **rollout.metrics}


def write_gif(recent, goals, path) -> None:
  """A GIF of an actor's last recorded steps (`Actor.recent`), whole episodes only."""
  steps = list(recent)
  starts = [i for i, step in enumerate(steps) if step[4]]  # reset steps: an episode begins
  if len(starts) < 2:
    return  # no whole episode recorded (a very short run)
  frames, captions = [], []
  for frame, goal, vlm, success, _ in steps[starts[0] : starts[-1]]:
    frames.append(frame)
    captions.append(
      f"{goals[goal]}\nVLM reward {vlm:.0f}  ground truth {'yes' if success else 'no'}"
    )
  run_io.write_gif(np.stack(frames), captions, path)


def _stack(rows: list[dict]) -> dict:
  return {k: jnp.stack([jnp.asarray(r[k]) for r in rows]) for k in rows[0]}


def _last(errors: queue.Queue):
  last = None
  while not errors.empty():
    last = errors.get()
  return last


def _example_inputs(trainer, fns: ActorFunctions, envs: HostEnvBatch):
  """An AgentInput [B] of the batch's shapes for the agent's init (blank frames)."""
  batch = envs.num_envs
  tr = wrappers.Transition(
    state=jnp.zeros(batch, jnp.int32),
    pixels=jnp.zeros((batch, *envs.frame_shape), jnp.uint8),
    goal=jnp.zeros(batch, jnp.int32),
    success=jnp.zeros(batch, bool),
    truncated=jnp.zeros(batch, bool),
  )
  return fns.init(trainer.reward_model.params, tr).inputs


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  py_logging.getLogger("absl").setLevel(py_logging.WARNING)
  f = flags_lib  # --config, --workdir, --resume, --restart: shared with experiments/train.py
  if f.WORKDIR.value is None:
    raise app.UsageError("--workdir is required: the folder for metrics and checkpoints.")
  try:
    train(f.CONFIG.value, f.WORKDIR.value, resume=f.RESUME.value, restart=f.RESTART.value)
  except (ValueError, OSError, RuntimeError, FloatingPointError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
  flags.mark_flag_as_required("config")
  app.run(main, flags_parser=flags_lib.parse)
