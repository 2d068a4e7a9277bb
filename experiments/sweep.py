"""A grid of training runs, the seeds of each grid point run together in one compiled call.

  python -m experiments.sweep --config=experiments/configs/playhouse_lift.py \
      --config.total_frames=1000000 --sweep=studies/lift_floor/sweep.py \
      --workdir=runs/sweeps/lift_floor

The sweep file defines `get_sweep()`, returning a dict:

  seeds: the seeds of every grid point, e.g. (0, 1, 2)
  points: a list of dicts of config overrides (dotted keys, any config value: the CLIP model,
    the threshold, the template, the environment's families, ...); an optional "name" key
    names the point's folder (default: its overrides).
  seeds_per_call (optional): how many seeds share one compiled call (default: all of them);
    fewer where the stacked train state does not fit in memory.

The seeds of one call run `trainer.train_chunk` under `jax.vmap` over a stacked train state
(as PureJaxRL does): the same compiled step, with a leading seeds axis (set-up and
evaluations loop over the seeds with the single run's compiled functions). Each seed's run is
the one `experiments.train` makes with `--config.seed=SEED`: same initial state, same keys,
same evaluations (tests/test_sweep.py checks that the metrics agree).

Workdir layout:

  sweep.json                   the base config and the sweep (a rerun must match it)
  <point>/seeds_<a>_<b>/       one group of seeds: config.json, checkpoints/ (stacked state)
  <point>/seeds_<a>_<b>/seed_<a>/   one run: metrics.jsonl, tensorboard/, returns.png
  results.json, results.png    the aggregate (`aggregate`): final figures per point with 95%
                               intervals over seeds, and the curves

Rerunning the same command continues the sweep: finished groups are skipped and an
interrupted one resumes from its checkpoint. SIGTERM saves and exits like `experiments.train`.
"""

import functools
import importlib.util
import json
import os
import pathlib
import sys
import warnings

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import app, flags, logging

from experiments import distributed, extras, flags_lib, paths, run_io
from experiments import train as train_lib
from experiments import trainer as trainer_lib

# --config (the base config) and --workdir (the sweep's folder) come from experiments/flags_lib.py.
_SWEEP = flags.DEFINE_string("sweep", None, "Path to a sweep file defining get_sweep().")


class SeedsRun(train_lib.Run):
  """`train.Run` whose training call is vmapped over a leading axis of `seeds`.

  Only `chunk`, the hot path, is vmapped. Set-up and evaluation (once per run, and every
  `eval_every_calls`) loop over the seeds with `Run`'s own compiled functions and stack the
  results, which saves two compilations per grid point.
  """

  def __init__(self, config: ml_collections.ConfigDict, seeds):
    super().__init__(config)
    self.seeds = tuple(int(s) for s in seeds)
    if not self.seeds or len(set(self.seeds)) != len(self.seeds):
      raise ValueError(f"Bad sweep: seeds must be distinct and at least one, got {seeds}.")
    stacked = jax.tree.map(
      lambda a: jax.ShapeDtypeStruct((len(self.seeds), *a.shape), a.dtype), self.abstract_state
    )
    self.shardings = trainer_lib.state_shardings(self.trainer, stacked, stacked=True)
    self.abstract_state = jax.tree.map(
      lambda a, s: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=s), stacked, self.shardings
    )
    self.chunk = jax.jit(
      jax.vmap(functools.partial(trainer_lib.train_chunk, self.trainer), in_axes=(None, 0)),
      out_shardings=(self.shardings, None),
      donate_argnums=1,
    )

  def initial_state(self):
    states = [self._init(self.reward_params, jax.random.PRNGKey(s)) for s in self.seeds]
    return jax.device_put(_stack(states), self.shardings)

  def evaluate(self, state, pool: int, random_policy: bool = False, record: bool = False):
    update = train_lib.updates_done(state)
    params = self.trainer.agent.acting_params(state.agent)
    results = [
      self._evaluate(
        jax.tree.map(lambda x, i=i: x[i], params),
        self.reward_params,
        train_lib.eval_key(seed, update, pool),
        pool=pool,
        random_policy=random_policy,
        record=record,
      )
      for i, seed in enumerate(self.seeds)
    ]
    return _stack(results)

  def make_logger(self, workdir: paths.Path, keep_until: int | None = None, write_files=True):
    return SeedLoggers(
      [workdir / f"seed_{s}" for s in self.seeds], keep_until=keep_until, write_files=write_files
    )

  def after_eval(self, state, logger, evals_done: int) -> None:
    """Redraws each seed's returns.png (no GIFs: the seeds share one compiled call)."""
    del state, evals_done
    if not distributed.is_main():  # the others write no metrics
      return
    for path, rows in zip(logger.paths, logger.read(), strict=True):
      run_io.plot_returns(rows, path.parent / "returns.png")

  def finish(self, state, logger, workdir: paths.Path) -> None:
    del state, logger, workdir  # the last evaluation has drawn every seed's returns.png


def _stack(trees):
  return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


class SeedLoggers:
  """One `run_io.MetricsLogger` per seed; a row's arrays hold one value per seed."""

  def __init__(self, workdirs, keep_until=None, write_files=True):
    self.loggers = [run_io.MetricsLogger(d, keep_until, write_files) for d in workdirs]
    self.paths = [logger.path for logger in self.loggers]

  def write(self, step: int, row) -> dict[str, float]:
    """Writes seed i's values to its own run; returns the mean over seeds (progress bar)."""
    rows = [
      logger.write(step, {k: (v[i] if np.ndim(v) else v) for k, v in row.items()})
      for i, logger in enumerate(self.loggers)
    ]
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}

  def flush(self) -> None:
    for logger in self.loggers:
      logger.flush()

  def close(self) -> None:
    for logger in self.loggers:
      logger.close()

  def read(self) -> list[list[dict[str, float]]]:
    return [logger.read() for logger in self.loggers]

  def report_lost(self, expected) -> list[list[int]]:
    return [logger.report_lost(expected) for logger in self.loggers]


# ----------------------------------------------------------------------------- the grid


def load_sweep(path: str | pathlib.Path) -> dict:
  """The dict of `get_sweep()` in the file at `path`, checked."""
  path = pathlib.Path(path)
  if not path.is_file():
    raise FileNotFoundError(f"--sweep={path}: no such file (a Python file with get_sweep()).")
  spec = importlib.util.spec_from_file_location(f"_sweep_{path.stem}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  if not hasattr(module, "get_sweep"):
    raise ValueError(f"--sweep={path} defines no get_sweep() function.")
  sweep = dict(module.get_sweep())
  seeds, points = tuple(sweep.get("seeds", ())), list(sweep.get("points", [{}]))
  if not seeds or len(set(seeds)) != len(seeds):
    raise ValueError(f"Bad sweep {path}: 'seeds' must be distinct and at least one, got {seeds}.")
  names = [point_name(p) for p in points]
  if len(set(names)) != len(names):
    raise ValueError(f"Bad sweep {path}: two points have the same name ({names}).")
  per_call = int(sweep.get("seeds_per_call", len(seeds)))
  if per_call < 1:
    raise ValueError(f"Bad sweep {path}: seeds_per_call must be >= 1, got {per_call}.")
  return {"seeds": seeds, "points": points, "seeds_per_call": per_call}


def point_name(point: dict) -> str:
  if "name" in point:
    return str(point["name"])
  if not point:
    return "base"
  text = ",".join(f"{k}={v}" for k, v in sorted(point.items()))
  return "".join(c if c.isalnum() or c in "._=,-" else "-" for c in text)


def point_config(base: ml_collections.ConfigDict, point: dict) -> ml_collections.ConfigDict:
  """The base config with the point's overrides; an unknown key is an error, not a new one."""
  config = ml_collections.ConfigDict(base.to_dict())
  overrides = {k: v for k, v in point.items() if k != "name"}
  for key in overrides:
    node = config
    *parents, leaf = key.split(".")
    for part in parents:
      node = node.get(part) if isinstance(node, ml_collections.ConfigDict) else None
    if not isinstance(node, ml_collections.ConfigDict) or leaf not in node:
      raise ValueError(f"Bad sweep point {point}: the config has no field {key!r}.")
  config.update_from_flattened_dict(overrides)
  return config


def seed_groups(seeds, per_call: int) -> list[tuple[int, ...]]:
  return [tuple(seeds[i : i + per_call]) for i in range(0, len(seeds), per_call)]


def group_dir(workdir: paths.Path, point: dict, seeds) -> paths.Path:
  return workdir / point_name(point) / ("seeds_" + "_".join(str(s) for s in seeds))


def extends(saved: dict, record: dict) -> bool:
  """Whether sweep `record` is the `saved` one, or it with grid points added at the end (a
  sweep may grow; its config, seeds and existing points may not change)."""
  old, new = saved["sweep"], record["sweep"]
  same = {k: v for k, v in old.items() if k != "points"} == {
    k: v for k, v in new.items() if k != "points"
  }
  n = len(old["points"])
  # A key the configs gained since the sweep was saved, at its neutral 0, changes nothing.
  config = {
    k: v
    for k, v in record["config"].items()
    if k in saved["config"] or k not in run_io.Workdir.ADDED_KEYS or v != 0
  }
  return saved["config"] == config and same and new["points"][:n] == old["points"]


def run_sweep(base: ml_collections.ConfigDict, sweep: dict, workdir: str | os.PathLike) -> dict:
  """Runs (or continues) every group of the sweep, then writes and returns the aggregate.
  `workdir` is a local folder or a cloud URI (gs://...)."""
  workdir = paths.as_path(workdir)
  workdir.mkdir(parents=True, exist_ok=True)
  record = {"config": json.loads(base.to_json_best_effort()), "sweep": sweep}
  record = json.loads(json.dumps(record, default=str))
  saved = workdir / "sweep.json"
  if saved.exists() and not extends(json.loads(saved.read_text()), record):
    raise FileExistsError(
      f"{workdir} holds another sweep (its sweep.json differs from this config and sweep "
      "beyond points added at the end). Choose another --workdir; nothing was changed."
    )
  saved.write_text(json.dumps(record, indent=2) + "\n")
  for point in sweep["points"]:
    config = point_config(base, point)
    for seeds in seed_groups(sweep["seeds"], sweep["seeds_per_call"]):
      path = group_dir(workdir, point, seeds)
      if (path / "done.json").exists():
        print(f"{path}: done, skipped")
        continue
      run_config = ml_collections.ConfigDict(config.to_dict())
      run_config.seed = seeds[0]  # recorded in the group's config.json; SeedsRun uses `seeds`
      resume = bool(run_io.checkpoint_steps(path))
      print(f"{path}: {'resuming' if resume else 'starting'} seeds {seeds}", flush=True)
      # A folder without a checkpoint holds no work beyond its first log rows: it is moved
      # aside (not deleted) and the group starts over.
      _, rows = train_lib.train(
        run_config, path, resume=resume, restart=not resume, run=SeedsRun(run_config, seeds)
      )
      (path / "done.json").write_text(
        json.dumps({"seeds": list(seeds), "last_rows": [r[-1] for r in rows]}, indent=2) + "\n"
      )
  return aggregate(workdir, sweep)


# ----------------------------------------------------------------------------- aggregation

FINAL_METRICS = ("vlm_return", "gt_return", "vlm_precision", "vlm_recall")


def interval(values, reps: int = 2000, seed: int = 0) -> tuple[float, float, float]:
  """(mean, low, high): the mean over runs and its 95% stratified-bootstrap interval (rliable)."""
  # Imported here: rliable (with pandas and arch) is the 'sweep' extra, and slow to import.
  library = extras.require("rliable.library", "sweep", "Sweep aggregation")
  metrics = extras.require("rliable.metrics", "sweep", "Sweep aggregation")

  scores = np.asarray(values, np.float64).reshape(-1, 1)  # [runs, tasks=1]
  with warnings.catch_warnings():  # arch 7 deprecates the random_state that rliable passes
    warnings.simplefilter("ignore", FutureWarning)
    point, ci = library.get_interval_estimates(
      {"x": scores},
      lambda x: np.array([metrics.aggregate_mean(x)]),
      reps=reps,
      random_state=np.random.RandomState(seed),
    )
  return float(point["x"][0]), float(ci["x"][0, 0]), float(ci["x"][1, 0])


def run_rows(workdir: paths.Path, sweep: dict) -> dict[str, dict[int, list[dict]]]:
  """{point name: {seed: metrics rows}} of every run that has logged."""
  out = {}
  for point in sweep["points"]:
    runs = {}
    for seeds in seed_groups(sweep["seeds"], sweep["seeds_per_call"]):
      for s in seeds:
        path = group_dir(workdir, point, seeds) / f"seed_{s}" / "metrics.jsonl"
        if path.exists():
          runs[s] = run_io.read_metrics(path)
    out[point_name(point)] = runs
  return out


def aggregate(workdir: str | os.PathLike, sweep: dict) -> dict:
  """results.json: per point, each seed's final figures (the last evaluation, the last logged
  training chunk) with the mean and a 95% interval over seeds; results.png: the curves."""
  workdir = paths.as_path(workdir)
  every_run, results = run_rows(workdir, sweep), {}
  for name, runs in every_run.items():
    if not runs:
      continue
    finals = {}
    for seed, rows in runs.items():
      last_eval = [r for r in rows if any(k.startswith("eval/") for k in r)][-1]
      final = {k: v for k, v in last_eval.items() if k.startswith("eval/")}
      final.update({k: rows[-1][k] for k in FINAL_METRICS if k in rows[-1]})
      final["frames"] = rows[-1]["frames"]
      finals[seed] = final
    keys = sorted(set.intersection(*(set(f) for f in finals.values())) - {"frames"})
    summary = {}
    for key in keys:
      values = [finals[s][key] for s in sorted(finals)]
      mean, low, high = interval(values)
      summary[key] = {"mean": mean, "ci95": [low, high], "per_seed": values}
    results[name] = {
      "seeds": sorted(finals),
      "frames": min(f["frames"] for f in finals.values()),
      "final": summary,
    }
  (workdir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
  if results:
    plot_curves(every_run, workdir / "results.png")
  return results


def plot_curves(rows: dict, path: str | os.PathLike) -> None:
  """Left: held-out ground-truth success against frames per point (mean over seeds, the band
  spans the seeds); right: VLM return and ground-truth return of training (Fig. 3)."""
  import matplotlib.pyplot as plt  # noqa: PLC0415 (run_io chose the headless backend)

  fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
  for i, (name, runs) in enumerate(rows.items()):
    if not runs:
      continue
    colour = f"C{i}"
    evals = [[r for r in rs if _success_key(r)] for rs in runs.values()]
    n = min(len(e) for e in evals)
    if n:
      frames = np.asarray([r["frames"] for r in evals[0][:n]])
      success = np.asarray([[r[_success_key(r)] for r in e[:n]] for e in evals])
      left.plot(frames, success.mean(0), color=colour, label=f"{name} ({len(evals)} seeds)")
      left.fill_between(frames, success.min(0), success.max(0), color=colour, alpha=0.2)
    train = [[r for r in rs if "gt_return" in r] for rs in runs.values()]
    n = min(len(t) for t in train)
    frames = np.asarray([r["frames"] for r in train[0][:n]])
    for key, style in (("vlm_return", "-"), ("gt_return", "--")):
      values = np.asarray([[r[key] for r in t[:n]] for t in train]).mean(0)
      right.plot(frames, values, style, color=colour, label=f"{name} {key}")
  left.set(xlabel="frames (per run)", ylabel="held-out ground-truth success", ylim=(0, 1))
  right.set(xlabel="frames (per run)", ylabel="return (training episodes)", ylim=(0, 1))
  right.set_title("VLM return (solid) and ground-truth return (dashed)", fontsize=9)
  left.legend(fontsize=7)
  fig.tight_layout()
  run_io.save_figure(fig, path, dpi=100)
  plt.close(fig)


def _success_key(row: dict) -> str | None:
  """The last goal pool's success key of an evaluation row (held-out goals where there are)."""
  keys = [k for k in row if k.startswith("eval/") and k.endswith("_gt_success")]
  keys = [k for k in keys if not k.startswith("eval/random_")]
  return keys[-1] if keys else None


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  config, workdir = flags_lib.CONFIG.value, flags_lib.WORKDIR.value
  if workdir is None or _SWEEP.value is None or config is None:
    raise app.UsageError("--config, --sweep and --workdir are required.")
  try:
    results = run_sweep(config, load_sweep(_SWEEP.value), workdir)
  except run_io.Interrupted as e:
    print(f"{e} Rerun the same sweep command to continue.", file=sys.stderr)
    sys.exit(128 + e.signum)
  except (ValueError, OSError, RuntimeError, FloatingPointError, MemoryError) as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(1)
  for name, r in results.items():
    for key, v in r["final"].items():
      if key.endswith("gt_success") and "random" not in key:
        print(f"{name} {key}: {v['mean']:.3f} [{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]")


if __name__ == "__main__":
  app.run(main, flags_parser=flags_lib.parse)
