#!/usr/bin/env bash
# Android-domain runs on one GPU, all at once (each process takes a tenth of its memory):
#   common:   Open Common Apps, fused trainer at the `:gpu` scale, to COMMON_FRAMES; its workdir,
#             checkpoint included, comes back as OUT_DIR/common_run.tar.gz for the transfer
#             check on the CPU (`studies/android/android_transfer.py`);
#   diverse:  Open Diverse Apps at the `:gpu` scale (40M frames, or until SECONDS);
#   small_*:  the fused trainer at small batches (the scale of the CPU and of a Sebulba learner),
#             to find settings that learn in fewer frames (small16: 16 and 8 environments to 3M
#             frames, two seeds of 16);
#   sebulba_*: the Sebulba actor-learner through the real android_env (the launcher simulator),
#             ACTORS actor threads x 16 environments each;
#   host_*:   the Sebulba actor-learner on the JAX launcher stepped by its actors
#             (`android_common.py:host`), 2 and 4 actors, with the small runs' best settings.
# PARTS (default "common diverse small sebulba") picks which of these run.
# Every run is stopped by SIGTERM after SECONDS if not done (it saves). Writes OUT_DIR/runs.tar.gz
# (configs, metrics.jsonl, logs) and OUT_DIR/summary.json (each run's last logged row).
# Usage: bash studies/android/gpu_runs.sh OUT_DIR [SECONDS] [COMMON_FRAMES] [ACTORS]
set -u
out=${1:?usage: android_gpu_runs.sh OUT_DIR [SECONDS] [COMMON_FRAMES] [ACTORS]}
secs=${2:-300}
common_frames=${3:-6000000}
actors=${4:-6}
source "$(dirname "$0")/../gpu_runs_lib.sh"
gpu_runs_start "$out" android_runs  # sets $root
pids=()
fused() {  # name, config, flags...
  local name=$1 config=$2
  shift 2
  timeout -k 30 -s TERM "$secs" python3 -m experiments.train --config="$config" \
    --config.quiet=True --workdir="$root/$name" "$@" >"$root/$name.log" 2>&1 &
  pids+=($!)
}
sebulba() {  # name, config, flags...
  local name=$1 config=$2
  shift 2
  timeout -k 60 -s TERM "$secs" python3 -m experiments.sebulba --config="$config" \
    --workdir="$root/$name" --config.reward.bf16=True "$@" >"$root/$name.log" 2>&1 &
  pids+=($!)
}
if has common; then
  fused common experiments/configs/launcher_common.py:gpu --config.total_frames="$common_frames" \
    --config.checkpoints_to_keep=1
fi
has diverse && fused diverse experiments/configs/launcher_diverse.py:gpu
small="experiments/configs/launcher_common.py"
fast=(--config.unroll_updates=False --config.total_frames=1500000 --config.eval_envs=256)
if has small; then
  fused small_e64_lr1e-3 "$small" "${fast[@]}"
  fused small_e64_lr3e-3 "$small" "${fast[@]}" --config.agent.learner.learning_rate=3e-3
  fused small_e32_lr1e-3 "$small" "${fast[@]}" --config.num_envs=32
  fused small_e32_lr3e-3 "$small" "${fast[@]}" --config.num_envs=32 \
    --config.agent.learner.learning_rate=3e-3
  fused small_e16_lr1e-3 "$small" "${fast[@]}" --config.num_envs=16 --config.eval_every_calls=40
fi
if has small16; then  # the 16-environment setting to 3M frames, two seeds, and 8 environments
  long=(--config.unroll_updates=False --config.total_frames=3000000 --config.eval_envs=256)
  for seed in 0 1; do
    fused small_e16_seed$seed "$small" "${long[@]}" --config.num_envs=16 \
      --config.eval_every_calls=40 --config.seed=$seed
  done
  fused small_e8_seed0 "$small" "${long[@]}" --config.num_envs=8 --config.eval_every_calls=80
fi
if has sebulba; then
  for lr in 1e-3 3e-3; do
    sebulba sebulba_lr$lr experiments/configs/android_common.py \
      --config.sebulba.num_actors="$actors" --config.sebulba.envs_per_actor=16 \
      --config.total_frames=1000000 --config.agent.learner.learning_rate="$lr"
  done
fi
if has host; then
  for n in 2 4; do
    sebulba host_actors$n experiments/configs/android_common.py:host --config.sebulba.num_actors=$n
  done
fi
wait "${pids[@]}"
gpu_runs_finish "$root" "$out"
has common && tar -czf "$out/common_run.tar.gz" -C "$root" --exclude=tensorboard common
ls -la "$out"
