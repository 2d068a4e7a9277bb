#!/usr/bin/env bash
# The checks that need an accelerator, in one script (about 8 minutes on one H100/H200):
#   1. the CLIP reward, ViT-B/32 shape, fp32 and bf16, JAX against PyTorch on the same GPU;
#   2. the main job's fused compiled step against the unfused Python loop (bundled CLIP);
#   3. Open Common Apps (launcher_common.py) at accelerator scale for a fixed wall-clock.
# Usage: bash benchmarks/device_check.sh OUT_DIR [LAUNCHER_SECONDS]
# From the project's GPU set-up: make install-test ACCEL=cuda12, then
#   PY=.venv/bin/python bash benchmarks/device_check.sh OUT_DIR
# (PY defaults to python3, an interpreter that already has JAX with CUDA, flax and torch.)
# Each part writes its JSON (or metrics) under OUT_DIR; a failing part does not stop the rest.
set -u
PY=${PY:-python3}
out=${1:?usage: device_check.sh OUT_DIR [LAUNCHER_SECONDS]}
secs=${2:-200}
if [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "$out is not empty: it may hold earlier results; pass another OUT_DIR." >&2
  exit 2
fi
mkdir -p "$out"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/gpu.txt" 2>&1
"$PY" -c "import jax, flax, transformers; print(jax.devices(), jax.__version__, flax.__version__, transformers.__version__)" >>"$out/gpu.txt" 2>&1

timeout -k 20 120 "$PY" benchmarks/reward_throughput.py --models vit_b32 --batches 256,1024 \
  --dtypes float32,bfloat16 --repeats 5 --torch_device cuda >"$out/reward_throughput.json" \
  2>"$out/reward_throughput.log"

timeout -k 20 130 "$PY" benchmarks/train_throughput.py --repeats 3 --label gpu \
  >"$out/train_throughput.json" 2>"$out/train_throughput.log"

run=$(mktemp -d /tmp/launcher_gpu.XXXXXX)/run  # fresh each time: no earlier run is touched
timeout -k 60 -s TERM "$secs" "$PY" -m experiments.train \
  --config=experiments/configs/launcher_common.py --workdir="$run" \
  --config.num_envs=512 --config.updates_per_call=8 --config.unroll_updates=False \
  --config.reward.bf16=True --config.total_frames=100000000 --config.eval_envs=512 \
  --config.quiet=True >"$out/launcher.log" 2>&1
cp "$run/metrics.jsonl" "$out/launcher_metrics.jsonl"
