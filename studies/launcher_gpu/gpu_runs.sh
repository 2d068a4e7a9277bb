#!/usr/bin/env bash
# The launcher's RL runs at accelerator scale, all at once on one GPU (each process takes a
# tenth of its memory): the online half of the prompt study (templates A-D x SEEDS seeds on
# Open Common Apps, COMMON_FRAMES frames each) and one Open Diverse Apps run, every run stopped
# by SIGTERM after SECONDS if not done (it saves, and `--resume` continues it). VLM reward only; ground truth
# measured. Writes OUT_DIR/runs.tar.gz (every run's config and metrics.jsonl) and
# OUT_DIR/summary.json (each run's last evaluation), which `studies/launcher_gpu/launcher_results.py`
# turns into the README's tables and plots.
# Usage: bash studies/launcher_gpu/gpu_runs.sh OUT_DIR [SEEDS] [COMMON_FRAMES] [SECONDS]
set -u
out=${1:?usage: launcher_gpu_runs.sh OUT_DIR [SEEDS] [COMMON_FRAMES] [SECONDS]}
seeds=${2:-2}
frames=${3:-6000000}
secs=${4:-280}
extra=${LAUNCHER_EXTRA_FLAGS:-}  # e.g. smaller settings for a trial on the CPU
source "$(dirname "$0")/../gpu_runs_lib.sh"
gpu_runs_start "$out" launcher_runs  # sets $root
pids=()
for seed in $(seq 0 $((seeds - 1))); do
  for t in a b c d; do
    name=common_${t}_seed${seed}
    timeout -k 30 -s TERM "$secs" python3 -m experiments.train \
      --config=experiments/configs/launcher_common.py:gpu --config.quiet=True \
      --workdir="$root/$name" --config.seed="$seed" --config.reward.template="android_$t" \
      --config.total_frames="$frames" $extra >"$root/$name.log" 2>&1 &
    pids+=($!)
  done
done
timeout -k 60 -s TERM "$secs" python3 -m experiments.train \
  --config=experiments/configs/launcher_diverse.py:gpu --workdir="$root/diverse_d_seed0" \
  --config.quiet=True $extra >"$root/diverse_d_seed0.log" 2>&1 &
pids+=($!)
wait "${pids[@]}"
gpu_runs_finish "$root" "$out"
