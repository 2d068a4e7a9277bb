"""Local and cloud paths of a run's outputs, through `etils.epath`.

A local path stays a `pathlib.Path`; a URI (`gs://bucket/run`, `s3://...`) becomes an
`epath.Path` with the same API, never a local folder. epath reaches gs:// through fsspec
(gcsfs: the 'gcs' extra) or TensorFlow's gfile where TensorFlow is installed. Object stores
cannot append, so appends and TensorBoard event files rewrite whole objects there.
"""

import io
import os
import pathlib
import re
import tempfile
from collections.abc import Callable
from typing import Any

from etils import epath
from tensorboardX import record_writer

_URI = re.compile(r"^[A-Za-z][\w+.-]*://")


def is_local(path: str | os.PathLike) -> bool:
  """Whether `path` is on this machine's file system (not a URI such as gs://bucket/run)."""
  return not _URI.match(os.fspath(path))


# A run's paths: pathlib for local ones, epath (the same API) for cloud URIs.
Path = pathlib.Path | epath.Path


def as_path(path: str | os.PathLike) -> Path:
  """`path` as a path object: a local one absolute (with ~ expanded) as a `pathlib.Path`, a
  URI (gs://bucket/run) as an `epath.Path`, never turned into a local folder."""
  return pathlib.Path(path).expanduser().resolve() if is_local(path) else epath.Path(path)


def append_line(path: Path, line: str) -> None:
  """Appends one line: a single write on a local file; object stores cannot append, so a
  cloud file is rewritten whole (metrics files are small)."""
  if is_local(path):
    with path.open("a") as f:
      f.write(line + "\n")
  else:
    old = path.read_text() if path.exists() else ""
    path.write_text(old + line + "\n")


def replace_text(path: Path, text: str) -> None:
  """Replaces a file's text atomically (a local temporary file renamed; an object write)."""
  if not is_local(path):
    path.write_text(text)
    return
  tmp = path.with_name(path.name + ".tmp")
  tmp.write_text(text)
  os.replace(tmp, path)


def save_folder(write: Callable[[str], Any], dest: str | os.PathLike) -> None:
  """Calls `write(folder)`, a writer of local folders only (`save_pretrained`), so that the
  folder ends up at `dest`: a local path directly, a cloud URI through a temporary copy."""
  dest = as_path(dest)
  if is_local(dest):
    write(os.fspath(dest))
    return
  with tempfile.TemporaryDirectory() as tmp:
    write(tmp)
    for file in sorted(pathlib.Path(tmp).rglob("*")):
      if file.is_file():
        target = dest / file.relative_to(tmp).as_posix()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.read_bytes())


class _CloudEventFile:
  """A TensorBoard event file at a cloud path, held in memory and rewritten whole on each
  flush (object stores cannot append), through epath like every other output of a run."""

  def __init__(self, path: str):
    self.path, self.buffer = epath.Path(path), io.BytesIO()

  def write(self, data: bytes) -> None:
    self.buffer.write(data)

  def flush(self) -> None:
    self.path.write_bytes(self.buffer.getvalue())

  def close(self) -> None:
    self.flush()


class _CloudEventFiles:
  """tensorboardX's writer factory for one URI scheme (see `record_writer`)."""

  def open(self, path: str) -> _CloudEventFile:
    return _CloudEventFile(path)

  def directory_check(self, path: str) -> None:
    epath.Path(path).mkdir(parents=True, exist_ok=True)


for _scheme in ("gs", "s3", "az"):  # the cloud schemes of epath
  record_writer.register_writer_factory(_scheme, _CloudEventFiles())
