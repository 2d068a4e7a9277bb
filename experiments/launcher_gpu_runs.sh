#!/usr/bin/env bash
# The launcher's RL runs at accelerator scale, all at once on one GPU (each process takes a
# tenth of its memory): the online half of the prompt study (templates A-D x SEEDS seeds on
# Open Common Apps, COMMON_FRAMES frames each) and one Open Diverse Apps run, every run stopped
# by SIGTERM after SECONDS if not done (it saves, and `--resume` continues it). VLM reward only; ground truth
# measured. Writes OUT_DIR/runs.tar.gz (every run's config and metrics.jsonl) and
# OUT_DIR/summary.json (each run's last evaluation), which `experiments/launcher_results.py`
# turns into the README's tables and plots.
# Usage: bash experiments/launcher_gpu_runs.sh OUT_DIR [SEEDS] [COMMON_FRAMES] [SECONDS]
set -u
out=${1:?usage: launcher_gpu_runs.sh OUT_DIR [SEEDS] [COMMON_FRAMES] [SECONDS]}
seeds=${2:-2}
frames=${3:-6000000}
secs=${4:-280}
extra=${LAUNCHER_EXTRA_FLAGS:-}  # e.g. smaller settings for a trial on the CPU
if [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  echo "$out is not empty: it may hold earlier results; pass another OUT_DIR." >&2
  exit 2
fi
root=$(mktemp -d /tmp/launcher_runs.XXXXXX)  # the runs' workdirs, fresh each time
mkdir -p "$out"
echo "run workdirs (checkpoints; --resume continues them): $root" >&2
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_MEM_FRACTION=0.09
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
python3 - "$root" "$out/summary.json" <<'PY'
import json, pathlib, sys
root, rows = pathlib.Path(sys.argv[1]), {}
for run in sorted(p for p in root.iterdir() if (p / "metrics.jsonl").is_file()):
  lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines() if l]
  evals = [r for r in lines if "eval/heldout_gt_success" in r]
  rows[run.name] = {"last_eval": evals[-1] if evals else None, "logged_rows": len(lines)}
pathlib.Path(sys.argv[2]).write_text(json.dumps(rows, indent=1))
print(json.dumps({k: (v["last_eval"] or {}).get("eval/heldout_gt_success") for k, v in rows.items()}))
PY
tar -czf "$out/runs.tar.gz" -C "$root" --exclude=checkpoints --exclude=tensorboard .
