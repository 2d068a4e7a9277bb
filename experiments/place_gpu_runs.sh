#!/usr/bin/env bash
# Pick-and-place CLIP recipes on one GPU (issue 13), all at once:
#   pretrains several CLIPs with the relations recipe (`pretrain_clip.py:SIZE,relations`) at
#   more steps, patch 8 and the larger sizes, then scores them all with
#   `experiments.offline_pr --extra_negatives` (Find, Lift and Pick-and-place; each family's
#   run-config negatives; the datasets are built while the models train), and the b_ runs
#   with `experiments.calibrate` on the main job's Find config (precision on random-walk
#   frames, where the 4,000-step S of 2026-11-26 lost to the bundled model).
# Runs whose name starts with b_ cost what the bundled model costs on the CPU (size S, patch 16):
# the one of them with the best held-out Pick-and-place AP comes back as OUT_DIR/best_model.tar.gz
# (split into 15 MB parts: cat best_model.tar.gz.* | tar -xz).
# Writes OUT_DIR/offline_pr.json (every model's figures), OUT_DIR/calibration_find.json,
# OUT_DIR/pretrain_summaries.json (steps, seconds, final loss of each run) and the logs' tails
# in OUT_DIR/logs.txt: with the model's parts, 6 files (the device tool brings back 8 at most).
# SMOKE=1 runs every part in seconds (the `,smoke` recipe, tiny datasets) to check the script.
# On one H200 (2026-11-26) six pretraining runs side by side took 155-250 s of training each
# (about 4 min with start-up); scoring took about 20 s per model (compilation included), so the
# whole script needs about 8 min (not yet run in this form: b_S_4000_near6 and calibration are
# new). Batch 1024 is not in the grid: its batches are built on the host
# (NumPy captions and sampling) at 3 steps/s, too slow for one call.
# Usage: bash experiments/place_gpu_runs.sh OUT_DIR [PRETRAIN_SECONDS] [EVAL_SECONDS]
set -u
out=${1:?usage: place_gpu_runs.sh OUT_DIR [PRETRAIN_SECONDS] [EVAL_SECONDS]}
secs=${2:-300}
eval_secs=${3:-240}
smoke=${SMOKE:-0}
source "$(dirname "$0")/gpu_runs_lib.sh"
gpu_runs_start "$out" place_runs  # sets $root
data_flags=()
[ "$smoke" = 1 ] && data_flags=(--num_envs=4 --episode_steps=16 --rollouts=1)
# offline_pr with each family's run-config negatives, datasets cached in $root/pr
pr=(python3 -m experiments.offline_pr --out="$root/pr" --extra_negatives "${data_flags[@]}")
pids=()
pretrain() {  # name, size and recipe, flags...
  local name=$1 arg=$2
  shift 2
  if [ "$smoke" = 1 ]; then
    arg="$arg,smoke"
    set -- $(printf '%s\n' "$@" | grep -v -e num_steps)
  fi
  timeout -k 20 -s TERM "$secs" python3 -m experiments.pretrain_clip \
    --config=experiments/configs/pretrain_clip.py:"$arg" --config.workdir="$root/$name" "$@" \
    >"$root/$name.log" 2>&1 &
  pids+=($!)
}
"${pr[@]}" --models= >"$root/datasets.log" 2>&1 &
pids+=($!)
pretrain b_S_4000 S,relations --config.num_steps=4000
pretrain b_S_4000_near6 S,relations --config.num_steps=4000 --config.data.kind_weights.near=6.0
pretrain M_4000 M,relations --config.num_steps=4000
pretrain L_4000 L,relations --config.num_steps=4000
pretrain S8_4000 S,relations --config.patch_size=8 --config.num_steps=4000
wait "${pids[@]}"
models="" bundle=""
for m in "$root"/*/model; do
  name=$(basename "$(dirname "$m")")
  [ -f "$m/flax_model.msgpack" ] || continue
  models="$models,$name=$m"
  [[ $name == b_* ]] && bundle="$bundle,$name=$m"
done
timeout -k 20 "$eval_secs" "${pr[@]}" --models="${models#,}" >"$root/offline_pr.log" 2>&1 &
calib_flags=()
[ "$smoke" = 1 ] && calib_flags=(--num_envs=4 --rollouts=1)
# The bundle candidates' Find reward where the agent lives (random-walk frames): the main
# job's config and its threshold rule.
[ -n "$bundle" ] && timeout -k 20 "$eval_secs" python3 -m experiments.calibrate \
  --config=experiments/configs/playhouse_find.py --models="${bundle#,}" "${calib_flags[@]}" \
  --out="$root/calibration_find.json" >"$root/calibrate.log" 2>&1 &
wait
cp "$root/calibration_find.json" "$out/" 2>/dev/null
cp "$root/pr/offline_pr.json" "$out/" 2>/dev/null
python3 - "$root" "$out" <<'PY'
import json, pathlib, sys
root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
runs = {p.parent.name: json.loads(p.read_text()) for p in sorted(root.glob("*/summary.json"))}
for r in runs.values():
  r.pop("config", None)
(out / "pretrain_summaries.json").write_text(json.dumps(runs, indent=1))
with open(out / "logs.txt", "w") as f:
  for log in sorted(root.glob("*.log")):
    f.write(f"=== {log.name}\n" + "\n".join(log.read_text().splitlines()[-15:]) + "\n")
pr = out / "offline_pr.json"
if pr.exists():
  table = json.loads(pr.read_text())
  ap = {k: (v.get("place/heldout") or {}).get("average_precision") for k, v in table.items()
        if not k.startswith("_")}
  print(json.dumps(ap))
  best = max((k for k in ap if k.startswith("b_") and ap[k] is not None), key=ap.get, default=None)
  (root / "best.txt").write_text(f"{best}\n" if best else "")
  print("best bundle candidate:", best)
PY
best=$(cat "$root/best.txt" 2>/dev/null)
if [ -n "$best" ]; then
  tar -czf - -C "$root/$best" model | split -b 15M - "$out/best_model.tar.gz."
fi
ls -la "$out"
