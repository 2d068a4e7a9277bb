"""Sebulba: actor threads stepping host-side environments, one learner with the fused update.

  python -m experiments.sebulba --config=experiments/configs/android_common.py --workdir=DIR
  python -m experiments.sebulba --config=experiments/configs/android_common.py:smoke --workdir=DIR

For environments that live on the host (android_env: emulators, or our launcher simulator
through the real package), where the fused one-compiled-step trainer cannot run. The layout of
Stoix's and Cleanba's Sebulba:

* `num_actors` actor threads, each stepping its own batch of `envs_per_actor` host
  environments: `OpenAppEnv`s through android_env (`HostEnvs`, one thread per environment), or
  the JAX launcher on the host CPU, stepped by the actor in one jitted call (`JaxEnvBatch`,
  env.name "launcher", for runs at the launcher's own speed). Per step the
  actor runs the policy on the device for its whole batch (`agent.act`), steps its
  environments on the host, then scores all the new screenshots with the CLIP at once and
  applies the episode rules with the fused trainer's own `trainer.finish_step` (same reward,
  termination on reward, truncation at the step limit, reset on the step after an episode
  end). After `unroll_length` steps it builds the learner's trajectory with
  `trainer.trajectory` and puts it in a bounded queue (an actor blocks when the learner is
  behind, so no data is dropped and memory is bounded).
* The learner (the main thread) takes trajectories in arrival order and applies
  `agent.update`, the function the fused trainer applies, jitted once; then it publishes the
  new acting parameters, which actors pick up at their next rollout. Acting parameters may lag
  by a few updates; V-trace corrects for it (the trajectories carry the behaviour logits).
* An actor whose environment raises (an emulator restart, a lost adb connection) logs the
  error, closes and rebuilds its environments and goes on; the learner does not stop
  (`actor_restarts` in the metrics). After `max_actor_restarts` in all, the run stops with the
  last error.

Workdir as the fused trainer's (`experiments/run_io.py`): config.json, metrics.jsonl with
TensorBoard events, checkpoints of the agent state (`--resume` continues from the latest; host
environments start fresh episodes, so a resumed run is not bit-identical the way a fused run
is), returns.png (VLM against ground-truth return of the training episodes), and a progress
bar, and train.gif (the last whole episodes of actor 0's first environment). Ground truth (the
foreground activity over adb) is measured, never given to the learner.
"""

import collections
import concurrent.futures
import dataclasses
import functools
import json
import logging as py_logging
import pathlib
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
from envs.launcher import apps, layout
from envs.launcher import env as launcher_env
from experiments import registry, run_io
from experiments import train as train_lib
from experiments import trainer as trainer_lib

FRAME_SHAPE = (layout.H, layout.W, 3)  # what OpenAppEnv gives the agent
OpenAppEnvActions = launcher_env.Launcher.num_actions


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


def num_updates(config: ml_collections.ConfigDict) -> int:
  """Updates in a Sebulba run: one per actor rollout of envs_per_actor x unroll_length frames."""
  frames = config.sebulba.envs_per_actor * config.unroll_length
  return max(1, config.total_frames // frames)


def make_agent(config: ml_collections.ConfigDict, num_actions: int):
  """The config's agent, its learning-rate schedule over this run's `num_updates`."""
  return registry.make_agent(config.agent, num_actions, num_updates(config))


def make_trainer(config: ml_collections.ConfigDict, num_actions: int):
  """The fused trainer's pieces (reward model, agent) for host environments (no JAX env)."""
  mesh = Mesh(np.array(jax.devices()[:1]), ("data",))
  agent = make_agent(config, num_actions)
  return trainer_lib.Trainer(config, None, reward_model(config), agent, mesh)


class HostEnvs:
  """A batch of host environments (`begin()` / `act(action)`, e.g. `OpenAppEnv`) stepped
  concurrently, one thread each: an environment mostly waits (on a device, or android_env's
  pauses), and waiting releases Python's lock."""

  def __init__(self, envs, name: str = "host-envs"):
    self.envs = list(envs)
    self._pool = concurrent.futures.ThreadPoolExecutor(len(self.envs), name)

  def begin(self) -> wrappers.Transition:
    """Starts an episode in every environment."""
    return _transition(self._pool.map(lambda env: (*env.begin(), False), self.envs))

  def step(self, actions, needs_reset) -> wrappers.Transition:
    """Steps every environment, or resets those whose last step ended an episode."""

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
    state=jnp.zeros(len(frames), jnp.int32),  # host environments keep their own state
    pixels=jnp.asarray(np.stack(frames)),
    goal=jnp.asarray(goals, jnp.int32),
    success=jnp.asarray(success, bool),
    truncated=jnp.asarray(truncated, bool),
  )


class JaxEnvBatch:
  """A batch of a JAX environment's episodes (the launcher of `envs/launcher/`) on the host:
  its state lives on the host CPU and the actor thread steps it, one jitted call per step,
  outside the learner's compilation (the fused trainer's own env code, without android_env's
  per-environment Python). Frames go to the default device (the policy's and the CLIP's), as
  any host environment's do."""

  def __init__(self, env_config: ml_collections.ConfigDict, batch: int, seed: int):
    self._reset, self._step = _jax_env_fns(env_config.to_json(), batch)
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


@functools.lru_cache(maxsize=4)
def _jax_env_fns(env_config_json: str, batch: int):
  """(reset, transition) of a JAX env config, jitted once for all actors (training goals)."""
  env = registry.make_env(ml_collections.ConfigDict(json.loads(env_config_json)))
  reset = jax.jit(functools.partial(wrappers.reset, env, batch=batch))
  return reset, jax.jit(functools.partial(wrappers.transition, env))


class Actor(threading.Thread):
  """One actor thread: a batch of host environments, the policy and the reward on the device."""

  RECORDED_STEPS = 96  # the last steps of the first environment, kept for the run's GIF

  def __init__(self, index, t, make_envs, params, rollouts, stop, fns, errors):
    super().__init__(name=f"actor-{index}", daemon=True)
    self.index, self.t, self.make_envs, self.fns = index, t, make_envs, fns
    self.params, self.rollouts, self.stop, self.errors = params, rollouts, stop, errors
    self.key = jax.random.fold_in(jax.random.key(t.config.seed), 1000 + index)
    self.restarts = 0
    self.envs = None
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
    self.envs = self.make_envs(self.index, self.restarts)
    rp = self.t.reward_model.params
    actor = self.fns["init"](rp, self.envs.begin())
    while not self.stop.is_set():
      params, version = self.params.get()
      initial_inputs, initial_core = actor.inputs, actor.core_state
      steps, seen = [], []
      for _ in range(self.t.config.unroll_length):
        self.key, key = jax.random.split(self.key)
        action, core = self.fns["act"](params, key, actor.inputs, actor.core_state)
        tr = self.envs.step(action.actions, actor.needs_reset)
        actor, out = self.fns["finish"](rp, actor, tr, action.actions, action.logits, core)
        steps.append((actor.inputs, out))
        seen.append((tr.pixels[0], tr.goal[0]))
      inputs, outs = jax.tree.map(lambda *x: jnp.stack(x), *steps)
      ep = outs.episode
      pixels, goals = zip(*seen, strict=True)
      record = (pixels, goals, ep.tracked[:, 0], ep.success[:, 0], ep.first[:, 0])
      self.recent.extend(zip(*jax.device_get(record), strict=True))
      traj = self.fns["trajectory"](initial_inputs, initial_core, inputs, outs)
      rollout = Rollout(traj, self.fns["metrics"](outs), version)
      while not self.stop.is_set():
        try:
          self.rollouts.put(rollout, timeout=0.5)
          break
        except queue.Full:
          continue


@functools.lru_cache(maxsize=1)
def _compiled(config_json: str):
  """(trainer, actor functions, learner update) of a config, kept for the next `train` of the
  same config in this process (a resume), so that nothing compiles twice."""
  t = make_trainer(ml_collections.ConfigDict(json.loads(config_json)), OpenAppEnvActions)
  return t, actor_functions(t), learner_update(t.agent)


def actor_functions(t) -> dict[str, Callable]:
  """The jitted pieces every actor shares (compiled once for the batch size)."""

  def finish(rp, actor, tr, actions, logits, core):
    score = t.reward_model.score(rp, tr.pixels, tr.goal)
    return trainer_lib.finish_step(t, rp, actor, tr, actions, logits, core, score)

  return {
    "init": jax.jit(functools.partial(trainer_lib.initial_actor, t)),
    "act": jax.jit(t.agent.act),
    "finish": jax.jit(finish),
    "trajectory": jax.jit(trainer_lib.trajectory),
    "metrics": jax.jit(trainer_lib.rollout_metrics),
  }


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

  `stop_after_updates` ends the run early (as if interrupted, with a checkpoint) after that
  many updates in total, counting those before a resume.

  `make_envs(actor_index, restart_count) -> list of host environments` (default: the
  config's, `make_env_factory`). Stops after the config's number of updates, on SIGTERM /
  SIGINT (saving a checkpoint), or after `sebulba.max_actor_restarts` environment errors.
  """
  workdir = pathlib.Path(workdir)
  make_envs = make_envs or make_env_factory(config)
  t, fns, update = _compiled(config.to_json())
  owner = run_io.Workdir(workdir, config, resume=resume, restart=restart)
  checkpointer = run_io.Checkpointer(workdir, keep=config.checkpoints_to_keep, clean_partial=resume)
  s = config.sebulba
  agent_state = t.agent.init(jax.random.key(config.seed), _example_inputs(t, fns, config))
  start = 0
  if resume:
    start, agent_state = checkpointer.restore(jax.eval_shape(lambda: agent_state))
  logger = run_io.MetricsLogger(workdir, keep_until=start if resume else None)
  total = num_updates(config)
  params = ParamsBox(t.agent.acting_params(agent_state), start)
  rollouts, stop, errors = queue.Queue(maxsize=s.queue_size), threading.Event(), queue.Queue()
  actors = [
    Actor(i, t, make_envs, params, rollouts, stop, fns, errors) for i in range(s.num_actors)
  ]
  for a in actors:
    a.start()
  frames_per_update = s.envs_per_actor * config.unroll_length
  sums, lags, tick, update_no = [], [], time.perf_counter(), start
  signals = run_io.StopSignals()  # a second signal exits at once
  try:
    with signals, tqdm(total=total, initial=start, desc="sebulba", unit="update") as bar:
      end = total if stop_after_updates is None else min(total, stop_after_updates)
      while update_no < end and signals.signum is None:
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
        new_state, learn = update(agent_state, rollout.trajectory)
        when = f"at update {update_no + 1}; the update was discarded"
        train_lib.check_loss(
          {"loss": float(learn["loss"])}, config.max_abs_loss, when, checkpointer
        )
        agent_state, update_no = new_state, update_no + 1
        params.set(t.agent.acting_params(agent_state), update_no)
        sums.append({**learn, **rollout.metrics})
        lags.append(update_no - 1 - rollout.params_version)
        bar.update(1)
        if update_no % s.log_every_updates == 0 or update_no == total:
          metrics = jax.device_get(trainer_lib.chunk_metrics(_stack(sums)))
          row = trainer_lib.summarise({k: float(v) for k, v in metrics.items()})
          now = time.perf_counter()
          row.update(
            frames=update_no * frames_per_update,
            fps=len(sums) * frames_per_update / (now - tick),
            policy_lag=float(np.mean(lags)),
            actor_restarts=float(sum(a.restarts for a in actors)),
          )
          logger.write(update_no, row)
          sums, lags, tick = [], [], now
        if update_no % s.checkpoint_every_updates == 0:
          checkpointer.save(update_no, agent_state)
    if checkpointer.latest_step() != update_no:
      checkpointer.save(update_no, agent_state)
  finally:
    stop.set()
    for a in actors:
      a.join(timeout=30)
      a.close()
    logger.close()
    checkpointer.close()
    owner.close()
  rows = run_io.read_metrics(logger.path)
  if rows:
    run_io.plot_returns(rows, workdir / "returns.png")
  write_gif(actors[0].recent, t.reward_model.goals, workdir / "train.gif")
  if signals.signum is not None:
    print(f"Stopped at update {update_no}; continue with --resume.", file=sys.stderr)
  return agent_state, rows


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


def _example_inputs(t, fns, config):
  """An AgentInput [B] of the right shapes for the agent's init (blank frames)."""
  batch = config.sebulba.envs_per_actor
  tr = wrappers.Transition(
    state=jnp.zeros(batch, jnp.int32),
    pixels=jnp.zeros((batch, *FRAME_SHAPE), jnp.uint8),
    goal=jnp.zeros(batch, jnp.int32),
    success=jnp.zeros(batch, bool),
    truncated=jnp.zeros(batch, bool),
  )
  return fns["init"](t.reward_model.params, tr).inputs


def make_env_factory(config: ml_collections.ConfigDict) -> Callable:
  """`make_envs(actor, restarts) -> HostEnvs | JaxEnvBatch` for the config's `env`:
  android_launcher or android_emulator (android_env, `HostEnvs` of `OpenAppEnv`), or launcher
  (the JAX launcher itself, `JaxEnvBatch`)."""
  e, batch = config.env, config.sebulba.envs_per_actor

  def seed(actor: int, restarts: int, i: int = 0) -> int:
    return config.seed * 100_003 + max(actor, 0) * 1009 + i * 7 + restarts * 100_000_007

  if e.name == "launcher":
    goals = tuple(apps.APPS[i].name for i in apps.TASKS[e.task])
    assert goals == tuple(reward_model(config).goals), "goal ids must mean the same apps"
    return lambda actor, restarts: JaxEnvBatch(e, batch, seed(actor, restarts))
  if e.name not in ("android_launcher", "android_emulator"):
    raise ValueError(
      "env.name must be 'android_launcher', 'android_emulator' or 'launcher' for Sebulba, "
      f"got {e.name!r}"
    )
  from envs.android import bridge, simulator  # noqa: PLC0415

  def make_envs(actor: int, restarts: int):
    model, envs = reward_model(config), []
    for i in range(batch):
      if e.name == "android_launcher":
        sim = simulator.LauncherSimulatorConfig(
          scale=e.scale, seed=seed(actor, restarts, i), pool=e.pool
        )
        android = bridge.load_launcher_env(sim)
      else:
        android = bridge.load_emulator_env(e.avd_name, sdk_root=e.sdk_root, task=e.task)
      envs.append(
        bridge.OpenAppEnv(android, model, max_steps=e.max_steps, seed=seed(actor, restarts, i))
      )
    return HostEnvs(envs, f"actor-{actor}")

  return make_envs


def reward_model(config: ml_collections.ConfigDict):
  """The config's reward model over the goals of `env.task` (built once per config)."""
  return _reward_model(config.to_json())


@functools.lru_cache(maxsize=4)
def _reward_model(config_json: str):
  config = ml_collections.ConfigDict(json.loads(config_json))
  goals = [apps.APPS[i].name for i in apps.TASKS[config.env.task]]
  return trainer_lib.build_reward_model(config, goals)


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  py_logging.getLogger("absl").setLevel(py_logging.WARNING)
  f = flags.FLAGS  # --config, --workdir, --resume, --restart: experiments.train's flags
  if f.workdir is None:
    raise app.UsageError("--workdir is required: the folder for metrics and checkpoints.")
  train(f.config, f.workdir, resume=f.resume, restart=f.restart)


if __name__ == "__main__":
  app.run(main)
