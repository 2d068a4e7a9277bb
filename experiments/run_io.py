"""What a training run leaves in its workdir: metrics, event files, checkpoints, plots, GIFs.

All of it runs on the host between compiled calls; nothing here is traced. A workdir is a
local folder or a cloud URI (gs://bucket/run), through `experiments/paths.py`.
"""

import contextlib
import fcntl
import io
import json
import os
import pathlib
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

import imageio.v2 as imageio
import jax
import matplotlib
import numpy as np
import orbax.checkpoint as ocp
from absl import app, logging
from etils import epath
from PIL import Image, ImageDraw
from tensorboardX import SummaryWriter
from tensorboardX.proto.summary_pb2 import Summary

from experiments import distributed, extras
from experiments.paths import Path, append_line, as_path, is_local, replace_text

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the headless backend)


class Workdir:
  """One run's folder, owned by one process: a lock, the run's config, and no silent reuse.

  A fresh run refuses a folder that holds another run (metrics rows, checkpoints, or a
  finished run's files) unless `restart`, which moves the old run aside to
  `<workdir>.old-<time>` (nothing is deleted). A folder whose run never got to its first
  metrics row or checkpoint (stopped or killed while starting up) holds no work: a fresh run
  takes it. A resumed run needs a checkpoint and must have the saved config's values, except
  `resumable` keys, whose changes are recorded in `config_changes.jsonl`; without a saved
  `config.json` it needs `unchecked_config`. The resolved config is `config.json`.

  A local workdir is locked (`.lock`, flock) against a second process. A cloud workdir
  (gs://...) cannot be: one process per cloud workdir is the caller's to ensure.
  """

  # What a resumed training run may change: logging, schedules of saving and evaluating, and
  # what the divergence message tells a user to change before --resume.
  RESUMABLE_KEYS = (
    "total_frames",
    "log_every_calls",
    "eval_every_calls",
    "checkpoint_every_calls",
    "checkpoints_to_keep",
    "eval_envs",
    "quiet",
    "gif_every_evals",
    "max_abs_loss",
    "agent.learner.learning_rate",
    "agent.learner.max_grad_norm",
    "logger.wandb",
    "logger.wandb_project",
    "logger.wandb_entity",
  )
  FINISHED_FILES = ("summary.json", "model", "eval.gif")  # a finished run's outputs
  # Keys added to the configs since a run was saved, with the key whose value they had then.
  ADDED_KEYS = {"schedule_frames": "total_frames"}

  def __init__(
    self,
    path: str | os.PathLike,
    config,
    resume: bool = False,
    restart: bool = False,
    resumable: Sequence[str] = RESUMABLE_KEYS,
    unchecked_config: bool = False,
  ):
    self.path = as_path(path)
    self.resumable = tuple(resumable)
    self.moved_to, self._lock = None, None
    check_workdir(self.path, resume, restart)
    if resume:
      self._check_resumable()  # before anything is written: a failed resume leaves no files
    self.path.mkdir(parents=True, exist_ok=True)
    self._lock = self._take_lock() if is_local(self.path) else None
    held = self.held()
    if resume:
      self._check_resume(config, unchecked_config)
    elif held and not restart:
      self.close()
      raise FileExistsError(
        f"{self.path} holds another run ({', '.join(held)}). Pass --resume to continue it, "
        "--restart to start over (the old run is moved aside, not deleted), or choose another "
        "--workdir."
      )
    elif held:
      self.moved_to = self._move_aside()
    (self.path / "config.json").write_text(config.to_json_best_effort(indent=2) + "\n")

  def held(self) -> list[str]:
    """The files of a run's work in the folder: metrics rows, checkpoints, finished outputs."""
    held = []
    metrics = self.path / "metrics.jsonl"
    if metrics.exists() and metrics.read_text().strip():
      held.append("metrics.jsonl")
    if checkpoint_steps(self.path):
      held.append("checkpoints")
    return held + [name for name in self.FINISHED_FILES if (self.path / name).exists()]

  def _check_resumable(self) -> None:
    if checkpoint_steps(self.path):
      return
    if self.path.exists() and self.held():
      raise FileNotFoundError(
        f"--resume: {self.path} holds a run ({', '.join(self.held())}) but no checkpoint to "
        "continue from. Start it over with --restart (the old run is moved aside, not "
        "deleted), or choose another --workdir."
      )
    raise FileNotFoundError(
      f"--resume: there is no run to continue in {self.path} (no checkpoint). Start without "
      "--resume, or point --workdir at the folder of the run you want to continue."
    )

  def _take_lock(self):
    lock = open(self.path / ".lock", "w")  # held until close()
    try:
      fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      lock.close()
      raise RuntimeError(
        f"Another process is training in {self.path} (it holds {self.path / '.lock'}). Wait "
        "for it to finish, or give this run another --workdir."
      ) from None
    return lock

  def _move_aside(self) -> Path:
    """Moves everything of the old run (plots and GIFs included) but the lock aside."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = self.path.with_name(f"{self.path.name}.old-{stamp}")
    aside.mkdir(parents=True)
    for entry in self.path.iterdir():
      if entry.name != ".lock":
        entry.rename(aside / entry.name)
    return aside

  def _check_resume(self, config, unchecked_config: bool) -> None:
    saved_path = self.path / "config.json"
    if not saved_path.exists():
      if unchecked_config:
        return
      self.close()
      raise FileNotFoundError(
        f"--resume: {saved_path} is missing, so this config cannot be checked against the "
        "run's. Put the run's config.json back, or pass --unchecked_config to resume with "
        "this config as given (the run continues with these values)."
      )
    saved = _flatten(json.loads(saved_path.read_text()))
    now = _flatten(json.loads(config.to_json_best_effort()))
    for key, then in self.ADDED_KEYS.items():
      if key in now and key not in saved and then in saved:
        saved[key] = saved[then]
    differ = sorted(k for k in saved.keys() | now.keys() if saved.get(k) != now.get(k))
    fixed = [k for k in differ if k not in self.resumable]
    if fixed:
      self.close()
      changes = "; ".join(f"{k}: {saved.get(k)!r} -> {now.get(k)!r}" for k in fixed)
      raise ValueError(
        f"--resume with a config that changes the run in {self.path}: {changes}. Resume with "
        f"the saved config ({saved_path}), or start a new run in another --workdir. Only "
        f"{', '.join(self.resumable)} may change on resume."
      )
    if differ:
      changes = json.dumps({k: [saved.get(k), now.get(k)] for k in differ})
      append_line(self.path / "config_changes.jsonl", changes)

  def close(self) -> None:
    if self._lock is not None and not self._lock.closed:
      fcntl.flock(self._lock, fcntl.LOCK_UN)
      self._lock.close()


def check_workdir(path: Path, resume: bool = False, restart: bool = False) -> None:
  """Refuses, with what to do, --resume with --restart, and a local workdir that is a file,
  lies under a file, or cannot be written (checked before anything is created; entry points
  call it before compiling, `Workdir` again when it takes the folder)."""
  if resume and restart:
    raise ValueError(
      "--resume and --restart contradict each other: --resume continues the run in the "
      "workdir, --restart moves it aside and starts over. Pass one of them."
    )
  if not is_local(path):
    return
  local = pathlib.Path(os.fspath(path))
  if local.exists() and not local.is_dir():
    raise NotADirectoryError(f"--workdir {local} is a file, not a folder. Give a folder path.")
  existing = next(p for p in (local, *local.parents) if p.exists())
  if not existing.is_dir():
    raise NotADirectoryError(
      f"--workdir {local} lies under {existing}, which is a file. Give a folder path."
    )
  if not os.access(existing, os.W_OK | os.X_OK):
    raise PermissionError(
      f"--workdir {local}: {existing} cannot be written by this user. Choose a folder you "
      "can write, or change its permissions."
    )


def checkpoint_steps(workdir: str | os.PathLike) -> list[int]:
  """The steps of the committed checkpoints in `workdir/checkpoints`, ascending."""
  directory = as_path(workdir) / "checkpoints"
  if not directory.is_dir():
    return []
  return sorted(int(p.name) for p in directory.iterdir() if p.name.isdigit())


def refuse_overwrite(path: str | os.PathLike, overwrite: bool) -> None:
  """Stops a command-line run (absl UsageError) if `path` holds earlier results and
  `overwrite` is not set."""
  if epath.Path(path).exists() and not overwrite:
    raise app.UsageError(
      f"{path} holds earlier results: pass --overwrite to replace them, or another --out."
    )


def _flatten(tree: Mapping, prefix: str = "") -> dict[str, Any]:
  out = {}
  for k, v in tree.items():
    if isinstance(v, Mapping):
      out.update(_flatten(v, f"{prefix}{k}."))
    else:
      out[f"{prefix}{k}"] = v
  return out


class MetricsLogger:
  """Appends one JSON object per log step to `metrics.jsonl` and mirrors scalars to TensorBoard.

  Each row is one `write` of a whole line (line-atomic). `keep_until=step` (a resume from that
  step's checkpoint) first drops the rows logged after it and a torn last line, so that a
  resumed run never duplicates rows. With `write_files=False` (processes other than 0 of a
  multi-process run) it writes nothing and `write` only returns the row.
  """

  def __init__(
    self,
    workdir: str | os.PathLike,
    keep_until: int | None = None,
    write_files: bool = True,
    tracker=None,
  ):
    self.workdir = as_path(workdir)
    self.path = self.workdir / "metrics.jsonl"
    self._tb, self._tracker = None, None
    if not write_files:
      return
    self.workdir.mkdir(parents=True, exist_ok=True)
    if keep_until is not None and self.path.exists():
      rows = [r for r in read_metrics(self.path) if r["step"] <= keep_until]
      replace_text(self.path, "".join(json.dumps(r) + "\n" for r in rows))
    self._tracker = tracker() if tracker is not None else None  # before the writer it syncs
    self._tb = SummaryWriter(os.fspath(self.workdir / "tensorboard"))

  def write(self, step: int, metrics: Mapping[str, Any]) -> dict[str, float]:
    row = {"step": int(step), **{k: _to_float(v) for k, v in metrics.items()}}
    if self._tb is None:
      return row
    append_line(self.path, json.dumps(row))
    for k, v in row.items():
      if k != "step" and np.isfinite(v):
        self._tb.add_scalar(k, v, global_step=int(step))
    return row

  def write_gif(self, step: int, tag: str, gif: bytes, shape: tuple[int, int]) -> None:
    """An animated GIF (`encode_gif`) as a TensorBoard image at `step`; TensorBoard's image
    pane plays it. `shape` is its (height, width)."""
    if self._tb is None:
      return
    image = Summary.Image(height=shape[0], width=shape[1], colorspace=3, encoded_image_string=gif)
    summary = Summary(value=[Summary.Value(tag=tag, image=image)])
    self._tb._get_file_writer().add_summary(summary, global_step=int(step))

  def flush(self) -> None:
    if self._tb is not None:
      self._tb.flush()

  def close(self) -> None:
    if self._tb is not None:
      self._tb.close()
    if self._tracker is not None:
      self._tracker.finish()

  def read(self) -> list[dict[str, float]]:
    return read_metrics(self.path)

  def report_lost(self, expected: Sequence[int]) -> list[int]:
    """`report_lost_rows` of this file (after a resume's `keep_until`)."""
    return report_lost_rows(self.read(), expected, self.path)


def wandb_tracker(config, workdir: Path):
  """With `logger.wandb` set, a function that starts a Weights & Biases run mirroring the
  run's TensorBoard files (`MetricsLogger(tracker=...)` calls it before its writer); else
  None. wandb is imported only then: it is the optional 'wandb' extra."""
  settings = config.get("logger")
  if settings is None or not settings.get("wandb", False):
    return None

  def start():
    wandb = extras.require("wandb", "wandb", "--config.logger.wandb=True (Weights & Biases)")
    return wandb.init(
      project=settings.get("wandb_project"),
      entity=settings.get("wandb_entity"),
      name=workdir.name,
      config=config.to_dict(),
      dir=os.fspath(workdir) if is_local(workdir) else None,
      sync_tensorboard=True,
    )

  return start


def _to_float(value: Any) -> float:
  return float(np.asarray(jax.device_get(value)))


def report_lost_rows(
  rows: Sequence[Mapping[str, float]], expected: Sequence[int], path
) -> list[int]:
  """The steps of `expected` (rows an uninterrupted run logged up to its checkpoint) missing
  from `rows`, named in one line on stderr: a file cut or edited loses rows that a resume
  cannot recompute (TensorBoard's event files still hold their scalars)."""
  missing = sorted(set(expected) - {int(r["step"]) for r in rows})
  if missing:
    shown = ", ".join(str(s) for s in missing[:8]) + (", ..." if len(missing) > 8 else "")
    print(
      f"warning: {path} has lost {len(missing)} row(s) that the run logged before its "
      f"checkpoint (steps {shown}); the file was cut or edited. The resumed run appends after "
      "them; the scalars of the lost rows are still in tensorboard/.",
      file=sys.stderr,
      flush=True,
    )
  return missing


def read_metrics(path: str | os.PathLike) -> list[dict[str, float]]:
  """Rows of a `metrics.jsonl`, skipping a torn last line left by a killed run."""
  rows = []
  for line in epath.Path(path).read_text().splitlines():
    try:
      rows.append(json.loads(line))
    except json.JSONDecodeError:
      continue
  return rows


class Checkpointer:
  """Orbax checkpoints of a pytree train state, keeping the last `keep` (>= 1).

  `clean_partial` removes the unfinished (never committed) checkpoint that a killed run may
  have left; only for the workdir's owner, never for a reader beside a live run.
  """

  def __init__(self, workdir: str | os.PathLike, keep: int = 2, clean_partial: bool = False):
    if keep < 1:
      raise ValueError(f"checkpoints_to_keep must be >= 1 (0 would keep none), got {keep}.")
    self.workdir = as_path(workdir)
    self.directory = self.workdir / "checkpoints"
    self._owner = clean_partial
    options = ocp.CheckpointManagerOptions(
      max_to_keep=keep, create=True, cleanup_tmp_directories=clean_partial
    )
    self._manager = ocp.CheckpointManager(self.directory, options=options)

  def save(self, step: int, state: Any) -> None:
    self._manager.save(step, args=ocp.args.StandardSave(state), force=True)
    self._manager.wait_until_finished()

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def restore(self, abstract_state: Any, step: int | None = None) -> tuple[int, Any]:
    """Restores `step` (default: the latest readable one) into the structure of `abstract_state`.

    Without `step`, an unreadable latest checkpoint falls back to the one before it. The
    workdir's owner (`clean_partial`) moves each unreadable one to `checkpoints.corrupt/`
    (so that the run can save that step again), with one line naming it; the restore errors
    go to `restore_errors.log`, not the terminal.

    Raises:
      FileNotFoundError: there is no checkpoint in the workdir.
      ValueError: no checkpoint is readable into the run's state (corrupt, or written by a
        run of another config); nothing is deleted.
    """
    steps = sorted(self._manager.all_steps(), reverse=True) if step is None else [step]
    if not steps:
      raise FileNotFoundError(
        f"No checkpoint to resume from in {self.directory}. Start without --resume, or point "
        "--workdir at the folder of the run you want to continue."
      )
    errors = []
    for candidate in steps:
      try:
        with _quiet_absl():  # orbax logs a corrupt file's contents; the log file gets them
          state = self._manager.restore(candidate, args=ocp.args.StandardRestore(abstract_state))
      except Exception as e:  # orbax raises several types for missing/corrupt files.
        errors.append((candidate, e))
        continue
      if errors:
        self._set_aside(errors, candidate)
      return candidate, state
    self._log_errors(errors)
    raise ValueError(
      f"No checkpoint in {self.directory} could be restored into this run's state (steps "
      f"{', '.join(str(s) for s, _ in errors)}; the errors are in "
      f"{self.workdir / 'restore_errors.log'}). They are corrupt or were written by a "
      "different config; nothing was deleted. Resume with the config saved in the workdir, or "
      "start a new run in another --workdir."
    )

  def _set_aside(self, errors: list[tuple[int, Exception]], resumed: int) -> None:
    self._log_errors(errors)
    moved = []
    if self._owner:
      aside = self.workdir / "checkpoints.corrupt"
      aside.mkdir(parents=True, exist_ok=True)
      stamp = time.strftime("%Y%m%d-%H%M%S")
      for bad, _ in errors:
        (self.directory / str(bad)).rename(aside / f"{bad}-{stamp}")
        moved.append(str(aside / f"{bad}-{stamp}"))
      self._manager.reload()
    where = f"moved to {', '.join(moved)}" if moved else "left in place"
    print(
      f"warning: unreadable checkpoint(s) of step {', '.join(str(s) for s, _ in errors)} "
      f"({where}; errors in {self.workdir / 'restore_errors.log'}); resuming from step "
      f"{resumed}.",
      file=sys.stderr,
      flush=True,
    )

  def _log_errors(self, errors: list[tuple[int, Exception]]) -> None:
    text = "".join(
      f"step {step}:\n" + "".join(traceback.format_exception(e)) + "\n" for step, e in errors
    )
    if self._owner:
      append_line(self.workdir / "restore_errors.log", text.rstrip("\n"))
    else:  # a reader beside the run writes nothing into its workdir
      logging.info("Unreadable checkpoints:\n%s", text)

  def close(self) -> None:
    self._manager.close()


@contextlib.contextmanager
def _quiet_absl():
  previous = logging.get_verbosity()
  logging.set_verbosity(logging.FATAL)
  try:
    yield
  finally:
    logging.set_verbosity(previous)


def plot_returns(rows: Sequence[Mapping[str, float]], path: str | os.PathLike) -> None:
  """The analogue of the paper's Fig. 3: VLM return and ground-truth return over frames."""
  fig, ax = plt.subplots(figsize=(6, 4))
  series = [
    ("vlm_return", "VLM return (train goals)", "-"),
    ("gt_return", "ground-truth return (train goals)", "-"),
    ("eval/heldout_gt_success", "ground-truth success (held-out goals)", "--"),
    ("eval/random_heldout_gt_success", "random policy (held-out goals)", ":"),
  ]
  for key, label, style in series:
    points = [(r["frames"], r[key]) for r in rows if key in r and np.isfinite(r[key])]
    if len(points) == 1:  # a single measurement (the random policy): a reference line
      ax.axhline(points[0][1], linestyle=style, color="grey", label=label)
    elif points:
      x, y = zip(*points, strict=True)
      ax.plot(x, y, style, marker="o" if len(points) < 30 else None, label=label)
  ax.set_xlabel("environment frames")
  ax.set_ylabel("return per episode / success rate")
  ax.set_ylim(-0.02, 1.02)
  ax.grid(alpha=0.3)
  ax.legend(loc="best", fontsize=8)
  fig.tight_layout()
  save_figure(fig, path, dpi=120)
  plt.close(fig)


def save_figure(fig, path: str | os.PathLike, **kwargs) -> None:
  """`fig.savefig` to a local or cloud path (the format from the path's suffix)."""
  buffer = io.BytesIO()
  fig.savefig(buffer, format=epath.Path(path).suffix.lstrip(".") or "png", **kwargs)
  epath.Path(path).write_bytes(buffer.getvalue())


def write_gif(
  frames: np.ndarray,
  captions: Sequence[str],
  path: str | os.PathLike,
  scale: int = 4,
  fps: int = 8,
) -> tuple[bytes, tuple[int, int]]:
  """Writes uint8 frames [T,H,W,3] as a GIF (`encode_gif`); returns its bytes and shape."""
  gif, shape = encode_gif(frames, captions, scale, fps)
  epath.Path(path).write_bytes(gif)
  return gif, shape


def encode_gif(
  frames: np.ndarray, captions: Sequence[str], scale: int = 4, fps: int = 8
) -> tuple[bytes, tuple[int, int]]:
  """uint8 frames [T,H,W,3] as an animated GIF, each upscaled with its caption drawn below;
  returns the GIF's bytes and its (height, width)."""
  images = []
  for frame, caption in zip(frames, captions, strict=True):
    h, w = frame.shape[:2]
    big = Image.fromarray(np.asarray(frame)).resize((w * scale, h * scale), Image.NEAREST)
    lines = caption.split("\n")
    canvas = Image.new("RGB", (big.width, big.height + 12 * len(lines) + 4), "black")
    canvas.paste(big, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
      draw.text((3, big.height + 2 + 12 * i), line, fill="white")
    images.append(np.asarray(canvas))
  buffer = io.BytesIO()
  imageio.mimsave(buffer, images, format="GIF", duration=1000 / fps, loop=0)
  return buffer.getvalue(), images[0].shape[:2]


# Models named on the command line (offline_pr, calibrate): checked before any slow work.
TRAIN_COMMAND = "python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:"


def parse_models(spec: str) -> list[tuple[str, str]]:
  """(name, path) of each entry of a `--models` value; fails early for a missing folder.

  Raises:
    ValueError: an entry is not `name=path`.
    FileNotFoundError: a path is neither 'bundled', an existing folder nor a hub id
      ('owner/name', which `load_clip` fetches when a hub is reachable); the message names the
      command that trains it.
  """
  models = []
  for entry in filter(None, spec.split(",")):
    name, sep, path = entry.partition("=")
    if not (sep and name and path):
      raise ValueError(f"--models takes comma-separated name=path entries, got {entry!r}.")
    hub_id = re.fullmatch(r"[\w.-]+/[\w.-]+", path) and not path.startswith(("runs/", "."))
    if path != "bundled" and not hub_id and not pathlib.Path(path).expanduser().is_dir():
      raise FileNotFoundError(_missing_model_message(name, path))
    models.append((name, path))
  return models


def _missing_model_message(name: str, path: str) -> str:
  """Names the training command of a missing model (exact for runs/pretrain_clip/... paths)."""
  match = re.search(r"pretrain_clip/(family/)?(\w+)/model/?$", path)
  size = (match[2] + (",family" if match[1] else "")) if match else "SIZE"
  return (
    f"--models {name}={path}: there is no folder {path!r}. Only the bundled CLIP ('bundled', "
    "size S, the default) ships with the repository; train the rest of the family (XS, S, M, "
    f"L) first, one run per size: `{TRAIN_COMMAND}{size}` writes runs/pretrain_clip/SIZE/model "
    "(',family' after the size: the shorter recipe, in runs/pretrain_clip/family/SIZE/model)."
  )


class Interrupted(Exception):
  """Training stopped on SIGTERM / SIGINT after saving a checkpoint (the message says how to
  continue)."""

  def __init__(self, message: str, signum: int):
    super().__init__(message)
    self.signum = signum


class StopSignals:
  """The first SIGTERM or SIGINT asks the loop to stop after the step in flight (it
  saves a checkpoint and flushes the logs); a second one exits at once. Main thread only."""

  SIGNALS = (signal.SIGTERM, signal.SIGINT)

  def __init__(self):
    self.signum, self._previous = None, {}

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      self._previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
    return self

  def _handle(self, signum, frame):
    del frame
    if self.signum is not None:
      os._exit(128 + signum)
    self.signum = signum
    print(
      f"\n{signal.Signals(signum).name}: stopping after the step in flight to save a "
      "checkpoint (send it again to exit at once).",
      file=sys.stderr,
      flush=True,
    )

  def agreed(self) -> bool:
    """Whether to stop now: a signal reached this process or, in a multi-process run, any
    other (a collective, so every process calls it once per compiled call and all stop at
    the same call; a preempted TPU pod slice may signal its hosts at different times)."""
    stopping = distributed.any_process(self.signum is not None)
    if stopping and self.signum is None:
      self.signum = signal.SIGTERM  # another process was stopped: stop like it
    return stopping

  def __exit__(self, *exc):
    for sig, previous in self._previous.items():
      signal.signal(sig, previous)
