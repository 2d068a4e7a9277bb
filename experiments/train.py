"""Trains a language-conditioned agent from CLIP rewards (the env and agent the config names).

  python -m experiments.train --config=experiments/configs/playhouse_find.py --workdir=DIR
  python -m experiments.train --config=experiments/configs/playhouse_find.py:smoke --workdir=DIR
  python -m experiments.train --config=... --config.total_frames=200000 --workdir=DIR --resume

Leaves in DIR (a local folder, or a cloud URI such as gs://bucket/run): config.json,
metrics.jsonl, tensorboard/, checkpoints/, returns.png (VLM against ground-truth return, the
analogue of the paper's Fig. 3, redrawn at each evaluation), gifs/ (evaluation episodes every
`gif_every_evals` evaluations, also in TensorBoard) and eval.gif at the end. A DIR holding another
run is refused unless --resume (continue; the config must match) or --restart (the old run is
moved to DIR.old-<time>). SIGTERM / Ctrl-C saves a checkpoint after the call in flight and
exits with status 128 + signal; --resume continues exactly.
"""

import copy
import functools
import os
import signal
import sys
import time

import jax
import ml_collections
import numpy as np
from absl import app, flags, logging
from jax.sharding import NamedSharding, PartitionSpec
from tqdm import tqdm

from experiments import distributed, flags_lib, paths, run_io
from experiments import trainer as trainer_lib


class Run:
  """The compiled functions of one run and the host-side bookkeeping around them."""

  def __init__(self, config: ml_collections.ConfigDict):
    config = ml_collections.FrozenConfigDict(config)  # read-only once built
    trainer_lib.check_config(config)
    self.config = config
    self.trainer = trainer_lib.make_trainer(config)
    # The mesh spans every device of every process; the reward model is replicated on each.
    replicated = NamedSharding(self.trainer.mesh, PartitionSpec())
    # From host memory: each process places its own copies (no cross-host transfer).
    self.reward_params = jax.device_put(
      jax.device_get(self.trainer.reward_model.params), replicated
    )
    init = functools.partial(trainer_lib.init_state, self.trainer)
    abstract = jax.eval_shape(init, self.reward_params, jax.random.PRNGKey(0))
    self.shardings = trainer_lib.state_shardings(self.trainer, abstract)
    self.abstract_state = jax.tree.map(
      lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s), abstract, self.shardings
    )
    # Built straight into its shardings: each device makes its own environments.
    self._init = jax.jit(init, out_shardings=self.shardings)
    self.chunk = jax.jit(
      functools.partial(trainer_lib.train_chunk, self.trainer),
      out_shardings=(self.shardings, None),
      donate_argnums=1,
    )
    self._evaluate = jax.jit(
      functools.partial(trainer_lib.evaluate, self.trainer),
      static_argnames=("record",),
      out_shardings=replicated,  # scalars and a few recorded episodes, readable on every host
    )
    self.pools = tuple(self.trainer.env.goal_pools)  # evaluation pools by name, in pool-index order
    self.frames_per_call = config.num_envs * config.unroll_length * config.updates_per_call
    self.num_calls = trainer_lib.num_updates(config) // config.updates_per_call

  def initial_state(self):
    return self._init(self.reward_params, jax.random.PRNGKey(self.config.seed))

  def with_seed(self, seed: int) -> "Run":
    """This run with another seed, sharing its compiled functions (the seed only picks the
    initial state and the evaluation keys; the reward's negatives have their own seed)."""
    other = copy.copy(self)
    other.config = ml_collections.FrozenConfigDict({**self.config.to_dict(), "seed": seed})
    return other

  def evaluate(self, state, pool: int, random_policy: bool = False, record: bool = False):
    """Evaluation episodes on goal pool `pool` (an index into `env.goal_pools`)."""
    return self._evaluate(
      self.trainer.agent.acting_params(state.agent),
      self.reward_params,
      eval_key(self.config.seed, int(state.update), pool),
      pool=pool,
      random_policy=random_policy,
      record=record,
    )

  def eval_metrics(self, state, random_policy: bool = False) -> dict[str, float]:
    """Ground-truth success and VLM return on every goal pool ("eval/random_..." for random)."""
    prefix = "eval/random_" if random_policy else "eval/"
    out = {}
    for pool, name in enumerate(self.pools):
      result = jax.device_get(self.evaluate(state, pool, random_policy))
      out[f"{prefix}{name}_gt_success"] = result["gt_success"]
      out[f"{prefix}{name}_vlm_return"] = result["vlm_return"]
    return out

  def make_logger(self, workdir: paths.Path, keep_until: int | None = None, write_files=True):
    tracker = run_io.wandb_tracker(self.config, workdir)
    return run_io.MetricsLogger(workdir, keep_until, write_files, tracker=tracker)

  def after_eval(self, state, logger, evals_done: int) -> None:
    """Redraws returns.png; every `gif_every_evals` evaluations, a GIF of episodes in gifs/
    and TensorBoard. Every process calls it (the GIF's evaluation is a collective)."""
    every = self.config.get("gif_every_evals", 0)
    if every and evals_done % every == 0:
      name = f"eval_{updates_done(state):09d}.gif"
      self.write_episodes(state, logger, logger.workdir / "gifs" / name)
    if distributed.is_main():
      run_io.plot_returns(logger.read(), logger.workdir / "returns.png")

  def finish(self, state, logger, workdir: paths.Path) -> None:
    """eval.gif (`write_episodes`); the last evaluation has drawn returns.png."""
    self.write_episodes(state, logger, workdir / "eval.gif")

  def write_episodes(self, state, logger, path: paths.Path) -> None:
    """A GIF of evaluation episodes on the last goal pool (the held-out goals where the
    environment has them) at `path`, and in TensorBoard as "eval/episodes"."""
    _, frames = jax.device_get(self.evaluate(state, len(self.pools) - 1, record=True))
    if not distributed.is_main():  # every host took part in the evaluation
      return
    path.parent.mkdir(parents=True, exist_ok=True)
    gif, shape = run_io.write_gif(*self._captioned(frames), path)
    logger.write_gif(updates_done(state), "eval/episodes", gif, shape)

  def _captioned(self, frames) -> tuple[np.ndarray, list[str]]:
    """The recorded episodes' frames until each one ends, with goal and rewards as captions."""
    pixels, goals, vlm, gt, alive = frames
    images, captions = [], []
    for b in range(pixels.shape[1]):
      steps = int(np.argmin(alive[:, b])) + 1 if not alive[:, b].all() else len(alive)
      for s in range(steps):
        images.append(pixels[s, b])
        captions.append(
          f"{self.trainer.env.goals[goals[s, b]]}\n"
          f"VLM reward {vlm[s, b]:.0f}  ground truth {'yes' if gt[s, b] else 'no'}"
        )
    return np.stack(images), captions


def updates_done(state) -> int:
  """The state's update counter (the same for every seed of a seeds-vmapped state)."""
  update = state.update
  return int(update) if update.ndim == 0 else int(np.asarray(jax.device_get(update))[0])


def eval_key(seed: int, update: int, pool: int) -> jax.Array:
  """The evaluation key of run `seed` after `update` updates on goal pool `pool`."""
  key = jax.random.fold_in(jax.random.PRNGKey(seed + 1), update)
  return jax.random.fold_in(key, pool)  # independent layouts for each goal pool


def train(
  config: ml_collections.ConfigDict,
  workdir: str | os.PathLike,
  resume: bool = False,
  stop_after_calls: int | None = None,
  run: Run | None = None,
  restart: bool = False,
  unchecked_config: bool = False,
):
  """Runs (or resumes) training; returns the final train state and the logged rows.

  A fresh run refuses a workdir holding another run unless `restart` (which moves the old one
  aside); see `run_io.Workdir`. `stop_after_calls` ends the run early (as if interrupted)
  after that many compiled calls in total, counting calls done before a resume; the
  learning-rate schedule is unaffected (`trainer.resolve_schedule`: a resume keeps the
  saved run's horizon whatever total_frames is now). Resuming a finished run changes
  nothing and returns its state and rows.

  In a multi-process run (`experiments.distributed`) every process calls this with the same
  arguments: all of them compute and checkpoint (orbax's multi-host saving), process 0 alone
  takes the workdir and writes metrics, plots and GIFs, and returns the rows (the others
  return none).

  Raises:
    run_io.Interrupted: on SIGTERM / SIGINT (to any process): after saving a checkpoint of the
      last finished call, or, during start-up, before anything is written.
    MemoryError: the run's compiled call needs more memory than a device has
      (`check_memory`), before the workdir is taken.
  """
  workdir = paths.as_path(workdir)  # a local folder, or a cloud URI (gs://...) kept as one
  run_io.check_workdir(workdir, resume, restart)
  with run_io.StopSignals() as stop:
    if run is None:
      run = Run(trainer_lib.resolve_schedule(config, workdir if resume else None))
    done = _finished(run, workdir) if resume and stop_after_calls is None else None
    if done is not None:
      return done
    check_memory(run)
    if stop.agreed():  # stopped while compiling: nothing is written yet
      raise run_io.Interrupted(
        f"Stopped by {signal.Signals(stop.signum).name} while starting up; nothing was "
        f"written to {workdir}. Run the same command again.",
        stop.signum,
      )
    state, rows = _train(run, workdir, resume, restart, unchecked_config, stop_after_calls, stop)
  if stop.signum is not None:
    raise run_io.Interrupted(
      f"Stopped by {signal.Signals(stop.signum).name} at update {updates_done(state)}; its "
      f"checkpoint is in {workdir / 'checkpoints'}. Continue with the same command and "
      "--resume.",
      stop.signum,
    )
  return state, rows


def _finished(run: Run, workdir: paths.Path):
  """(state, rows) of a run in `workdir` that has done all its updates, else None; nothing
  is written."""
  steps = run_io.checkpoint_steps(workdir)
  total = run.num_calls * run.config.updates_per_call
  if not steps or steps[-1] < total:
    return None
  checkpointer = run_io.Checkpointer(workdir)
  try:
    _, state = checkpointer.restore(run.abstract_state, step=steps[-1])
  except ValueError:  # unreadable: the resume sets it aside and redoes its updates
    return None
  finally:
    checkpointer.close()
  print(
    f"{workdir}: the run finished at update {steps[-1]} ({run.config.total_frames} frames); "
    "nothing to do (a larger total_frames continues it on its learning-rate schedule, "
    "whose horizon stays: docs/training.md).",
    file=sys.stderr,
  )
  main = distributed.is_main()
  return state, run_io.read_metrics(workdir / "metrics.jsonl") if main else []


def check_memory(run: Run, limit: int | None = None) -> int:
  """Compiles the run's call (jit keeps it for the run's first call) and refuses it when its
  arguments, outputs and temporaries exceed `limit` bytes per device (default: the device's
  memory limit, or the host's available memory shared by its CPU devices); returns the
  estimate (0 where it cannot be made: a backend without the analysis, a wrapped call)."""
  if not hasattr(run.chunk, "lower"):
    return 0
  compiled = run.chunk.lower(run.reward_params, run.abstract_state).compile()
  stats = compiled.memory_analysis()
  if stats is None:  # a backend without the analysis
    return 0
  need = (
    stats.argument_size_in_bytes
    + stats.output_size_in_bytes
    + stats.temp_size_in_bytes
    - stats.alias_size_in_bytes
  )
  limit = device_memory_limit() if limit is None else limit
  if limit and need > limit:
    raise MemoryError(
      f"The run's compiled call needs about {need / 2**30:.2f} GiB per device (state, "
      f"batch and temporaries) but {limit / 2**30:.2f} GiB is available. Lower num_envs, "
      "unroll_length or updates_per_call, or use a device with more memory; nothing was "
      "written."
    )
  return need


def device_memory_limit() -> int:
  """Bytes one device may use: its allocator's limit on GPU/TPU; on the CPU, the host's
  available memory over its local devices. 0 when unknown."""
  device = jax.local_devices()[0]
  stats = device.memory_stats() if device.platform != "cpu" else None
  if stats and stats.get("bytes_limit"):
    return int(stats["bytes_limit"])
  try:
    pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
  except (ValueError, OSError):
    return 0
  return pages // jax.local_device_count()


def _train(run: Run, workdir, resume, restart, unchecked_config, stop_after_calls, stop):
  config = run.config
  owner = distributed.run_on_main(
    lambda: run_io.Workdir(
      workdir, config, resume=resume, restart=restart, unchecked_config=unchecked_config
    ),
    f"take the workdir {workdir}",
  )
  # A resumed run owns the workdir: an unfinished save of the killed run is removed.
  checkpointer = run_io.Checkpointer(workdir, keep=config.checkpoints_to_keep, clean_partial=resume)
  main = distributed.is_main()
  try:
    start_call = 0
    if resume:
      update, state = checkpointer.restore(run.abstract_state)
      start_call = update // config.updates_per_call
      logger = run.make_logger(workdir, keep_until=update, write_files=main)
      if main:
        logger.report_lost(row_steps(config, start_call))
    else:
      state = run.initial_state()
      logger = run.make_logger(workdir, write_files=main)
      random = run.eval_metrics(state, random_policy=True)
      logger.write(0, {"frames": 0, **random, **run.eval_metrics(state)})
    end_call = run.num_calls if stop_after_calls is None else min(stop_after_calls, run.num_calls)
    state = _loop(run, state, start_call, end_call, logger, checkpointer, stop)
    if stop.signum is None and end_call == run.num_calls:
      run.finish(state, logger, workdir)
    logger.close()
  finally:
    checkpointer.close()
    if owner is not None:
      owner.close()
  return state, logger.read() if main else []


def row_steps(config, calls: int) -> list[int]:
  """The steps of the rows a run logs in its first `calls` compiled calls (update 0, then
  each logging or evaluation call), without the extra rows where a run stopped early."""
  every = (config.log_every_calls, config.eval_every_calls)
  done = [c for c in range(1, calls + 1) if any(c % e == 0 for e in every)]
  return [0] + [c * config.updates_per_call for c in done]


def _check_loss(run: Run, metrics, update: int, checkpointer) -> None:
  """Stops training when the loss is not finite or beyond `max_abs_loss` (divergence)."""
  config = run.config
  check_loss(  # np.max / np.mean: one value per seed in a seeds-vmapped run (experiments/sweep.py)
    {"max": float(np.max(metrics["loss_max"])), "mean": float(np.mean(metrics["loss"]))},
    config.max_abs_loss,
    f"during updates {update - config.updates_per_call}-{update}",
    checkpointer,
  )


def check_loss(losses: dict[str, float], bound: float, when: str, checkpointer) -> None:
  """Raises FloatingPointError, naming the checkpoint that is kept, when a loss in `losses`
  is not finite or beyond `bound` (`max_abs_loss`); shared with experiments/sebulba.py."""
  if all(np.isfinite(x) and abs(x) <= bound for x in losses.values()):
    return
  last = checkpointer.latest_step()
  kept = (
    f"the last good checkpoint (update {last}) is kept in {checkpointer.directory}"
    if last is not None
    else "no checkpoint was saved yet"
  )
  shown = ", ".join(f"{name} {value:.4g}" for name, value in losses.items())
  raise FloatingPointError(
    f"The loss diverged ({shown}, bound max_abs_loss={bound:g}) {when}. "
    f"Training stopped; {kept}. Lower agent.learner.learning_rate or tighten "
    "agent.learner.max_grad_norm, then --resume."
  )


def _loop(run: Run, state, start_call: int, end_call: int, logger, checkpointer, stop=None):
  config = run.config
  bar = tqdm(
    range(start_call, end_call),
    initial=start_call,
    total=run.num_calls,
    desc="train",
    unit="call",
    disable=config.get("quiet", False) or not distributed.is_main(),
  )
  tick, frames_since = time.perf_counter(), 0
  evals_done = start_call // config.eval_every_calls
  for call in bar:
    state, metrics = run.chunk(run.reward_params, state)
    frames_since += run.frames_per_call
    done = call + 1
    last = done == end_call
    # Each schedule on its own: a row at each logging or evaluation call, a checkpoint at
    # each checkpointing call, and all of them at the last call.
    log = done % config.log_every_calls == 0 or last
    evaluated = done % config.eval_every_calls == 0 or last
    save = done % config.checkpoint_every_calls == 0 or last
    if log or evaluated or save:
      metrics = jax.device_get(metrics)
      update = updates_done(state)
      _check_loss(run, metrics, update, checkpointer)
    if log or evaluated:
      elapsed = time.perf_counter() - tick
      row = {
        "frames": done * run.frames_per_call,
        "fps": frames_since / elapsed,
        **trainer_lib.summarise(metrics),
      }
      if evaluated:
        row.update(run.eval_metrics(state))
      row = logger.write(update, row)
      if evaluated:
        evals_done += 1
        run.after_eval(state, logger, evals_done)
      bar.set_postfix(
        fps=f"{row['fps']:.0f}", vlm=f"{row['vlm_return']:.2f}", gt=f"{row['gt_return']:.2f}"
      )
      tick, frames_since = time.perf_counter(), 0
    if save:
      checkpointer.save(update, state)
    if stop is not None and stop.agreed():  # preempted: keep this call's work
      if checkpointer.latest_step() != updates_done(state):
        _check_loss(run, jax.device_get(metrics), updates_done(state), checkpointer)
        checkpointer.save(updates_done(state), state)
      logger.flush()
      break
  return state


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)  # orbax logs every file it writes at INFO
  f = flags_lib
  if f.WORKDIR.value is None:
    raise app.UsageError("--workdir is required: the folder for metrics and checkpoints.")
  try:
    distributed.initialize()  # multi-process runs only; before anything touches a device
    _, rows = train(
      f.CONFIG.value,
      f.WORKDIR.value,
      resume=f.RESUME.value,
      restart=f.RESTART.value,
      unchecked_config=f.UNCHECKED_CONFIG.value,
    )
  except run_io.Interrupted as e:
    print(e, file=sys.stderr)
    sys.exit(128 + e.signum)
  except (ValueError, OSError, RuntimeError, FloatingPointError, MemoryError) as e:
    logging.flush()
    print(f"error: {e}", file=sys.stderr)  # the last thing printed
    sys.exit(1)
  if rows:  # process 0's
    print({k: round(v, 4) for k, v in rows[-1].items() if isinstance(v, float)})


if __name__ == "__main__":
  flags.mark_flag_as_required("config")
  app.run(main, flags_parser=flags_lib.parse)
