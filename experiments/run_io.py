"""What a training run leaves in its workdir: metrics, event files, checkpoints, plots, GIFs.

All of it runs on the host between compiled calls; nothing here is traced.
"""

import json
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import imageio.v2 as imageio
import jax
import matplotlib
import numpy as np
import orbax.checkpoint as ocp
from PIL import Image, ImageDraw
from tensorboardX import SummaryWriter

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the headless backend)


class MetricsLogger:
  """Appends one JSON object per log step to `metrics.jsonl` and mirrors scalars to TensorBoard."""

  def __init__(self, workdir: str | pathlib.Path, resume: bool = False):
    self.workdir = pathlib.Path(workdir)
    self.workdir.mkdir(parents=True, exist_ok=True)
    self.path = self.workdir / "metrics.jsonl"
    if not resume and self.path.exists():
      self.path.unlink()
    self._tb = SummaryWriter(str(self.workdir / "tensorboard"))

  def write(self, step: int, metrics: Mapping[str, Any]) -> dict[str, float]:
    row = {"step": int(step), **{k: _to_float(v) for k, v in metrics.items()}}
    with self.path.open("a") as f:
      f.write(json.dumps(row) + "\n")
    for k, v in row.items():
      if k != "step" and np.isfinite(v):
        self._tb.add_scalar(k, v, global_step=int(step))
    return row

  def close(self) -> None:
    self._tb.close()


def _to_float(value: Any) -> float:
  return float(np.asarray(jax.device_get(value)))


def read_metrics(path: str | pathlib.Path) -> list[dict[str, float]]:
  """Rows of a `metrics.jsonl`, skipping a torn last line left by a killed run."""
  rows = []
  for line in pathlib.Path(path).read_text().splitlines():
    try:
      rows.append(json.loads(line))
    except json.JSONDecodeError:
      continue
  return rows


class Checkpointer:
  """Orbax checkpoints of a pytree train state, every `every` updates, keeping the last `keep`."""

  def __init__(self, workdir: str | pathlib.Path, keep: int = 2):
    self.directory = pathlib.Path(workdir).resolve() / "checkpoints"
    options = ocp.CheckpointManagerOptions(max_to_keep=keep, create=True)
    self._manager = ocp.CheckpointManager(self.directory, options=options)

  def save(self, step: int, state: Any) -> None:
    self._manager.save(step, args=ocp.args.StandardSave(state), force=True)
    self._manager.wait_until_finished()

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def restore(self, abstract_state: Any, step: int | None = None) -> tuple[int, Any]:
    """Restores `step` (default: the latest) into the structure of `abstract_state`.

    Raises:
      FileNotFoundError: there is no checkpoint in the workdir.
      ValueError: the checkpoint is unreadable or does not match the run's config.
    """
    step = self.latest_step() if step is None else step
    if step is None:
      raise FileNotFoundError(
        f"No checkpoint to resume from in {self.directory}. Start without --resume, or point "
        "--workdir at the folder of the run you want to continue."
      )
    try:
      state = self._manager.restore(step, args=ocp.args.StandardRestore(abstract_state))
    except Exception as e:  # orbax raises several types for missing/corrupt files.
      raise ValueError(
        f"Checkpoint {step} in {self.directory} is corrupt or was written by a different "
        f"config ({type(e).__name__}: {e}). Delete that step's folder to fall back to an "
        "earlier checkpoint, or start a fresh run in a new --workdir."
      ) from e
    return step, state

  def close(self) -> None:
    self._manager.close()


def plot_returns(rows: Sequence[Mapping[str, float]], path: str | pathlib.Path) -> None:
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
  fig.savefig(path, dpi=120)
  plt.close(fig)


def write_gif(
  frames: np.ndarray,
  captions: Sequence[str],
  path: str | pathlib.Path,
  scale: int = 4,
  fps: int = 8,
) -> None:
  """Writes uint8 frames [T,H,W,3] as a GIF, each upscaled with its caption drawn below."""
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
  imageio.mimsave(path, images, duration=1000 / fps, loop=0)
