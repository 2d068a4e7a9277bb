"""Multi-process runs on JAX's own runtime: TPU pod slices, GPU nodes, local CPU processes.

Every process runs the same script (multi-controller JAX). `initialize` starts
`jax.distributed` when the run is multi-process: from the flags below for a manual launch
(`experiments/launch_local.py` passes them), or from the cluster environment the way JAX
detects it itself (Cloud TPU pod slices, SLURM, Open MPI, Kubernetes); a plain single
process changes nothing. After it, `jax.devices()` lists every device of every process and one
`Mesh` over them makes each `jit` a global program: every process must call the same compiled
functions in the same order, and each steps the environments on its own devices.

The rest are host-side helpers for the parts that are not the same on every process: one
writer (process 0) and agreement between processes (a stop signal that reached only one).
"""

import jax
import numpy as np
from absl import flags, logging
from jax.experimental import multihost_utils

_COORDINATOR = flags.DEFINE_string(
  "coordinator_address",
  None,
  "host:port of process 0, for a manual multi-process launch (with --num_processes and "
  "--process_id). Not needed on TPU pods, SLURM or Open MPI, where JAX finds it itself.",
)
_NUM_PROCESSES = flags.DEFINE_integer("num_processes", None, "Processes in a manual launch.")
_PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index, 0 first.")

# What `jax.distributed.initialize()` raises when it finds no cluster to read the set-up from.
_NO_CLUSTER = "coordinator_address should be defined"


def initialize() -> None:
  """Starts `jax.distributed` for a multi-process run; a no-op for a single process.

  Call it before anything touches a device. Raises ValueError naming the missing flag when a
  manual launch gives only some of the three flags.
  """
  manual = (_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
  if any(v is not None for v in manual):
    if any(v is None for v in manual):
      raise ValueError(
        "A manual multi-process launch needs all of --coordinator_address, --num_processes "
        f"and --process_id; got {manual}. Pass the three on every process (or none, on a "
        "cluster JAX detects), or use `python -m experiments.launch_local`."
      )
    jax.distributed.initialize(*manual)
  else:
    try:
      jax.distributed.initialize()  # TPU pod slice, SLURM, Open MPI, ... (JAX's detection)
    except ValueError as e:
      if _NO_CLUSTER not in str(e):
        raise
      return  # no cluster: a single process
  logging.info(
    "Process %d of %d; %d local and %d global devices.",
    jax.process_index(),
    jax.process_count(),
    jax.local_device_count(),
    jax.device_count(),
  )


def is_main() -> bool:
  """Whether this process writes the run's files (metrics, plots, GIFs, the config)."""
  return jax.process_index() == 0


def any_process(flag: bool) -> bool:
  """True on every process if `flag` is true on any (a collective: all processes must call)."""
  if jax.process_count() == 1:
    return flag
  return bool(np.any(multihost_utils.process_allgather(np.asarray(flag))))


def run_on_main(fn, what: str):
  """Runs `fn()` on process 0 only; every process raises if it failed there.

  For the set-up only one process may do (taking the workdir, moving an old run aside) while
  the others must not go on without it. Returns `fn()`'s result on process 0, None elsewhere.
  """
  result, error = None, None
  if is_main():
    try:
      result = fn()
    except Exception as e:  # re-raised below, once the other processes know
      error = e
  if jax.process_count() > 1:
    failed = bool(multihost_utils.broadcast_one_to_all(np.asarray(error is not None)))
    if failed and error is None:
      raise RuntimeError(f"Process 0 failed to {what}; its log says why.")
  if error is not None:
    raise error
  return result
