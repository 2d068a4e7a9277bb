#!/usr/bin/env bash
# Pick-and-place CLIPs on one GPU (issue 13), all at once: pretrains size-S CLIPs with the
#   relations recipe (`pretrain_clip.py:S,relations`) for 8,000 steps from scratch at seeds
#   0, 1 and 2 (at 4,000 steps the three seeds give held-out Pick-and-place AP 0.22-0.36, mean
#   0.30, against 0.16-0.25 at 1,500 steps; the seed-0 model fine-tuned 4,000 steps further on
#   the CPU fell to 0.23-0.25: does length help, or was it the schedule's restart?), then
#   scores them with `experiments.analysis.offline_pr --extra_negatives` (Find, Lift and Pick-and-place,
#   each family's run-config negatives, and Pick-and-place again on a second dataset seed,
#   4321: one dataset moves AP by up to 0.12; the datasets are built while the models train),
#   and with `experiments.analysis.calibrate` on the main job's Find config (precision on random-walk
#   frames at each beta: a longer-trained CLIP has a sharper learned temperature, so it needs
#   its own beta there; compare models at equal firing rates, not at the main job's 0.7).
# Every run has the bundled model's architecture (S, patch 16), so each is a bundle candidate:
# the one with the best mean held-out Pick-and-place AP over the two datasets comes back as
# OUT_DIR/best_model.tar.gz (split into 15 MB parts: cat best_model.tar.gz.* | tar -xz).
# Writes OUT_DIR/offline_pr.json, OUT_DIR/offline_pr_place_4321.json,
# OUT_DIR/calibration_find.json, OUT_DIR/pretrain_summaries.json (steps, seconds, final loss of
# each run) and the logs' tails in OUT_DIR/logs.txt: with the model's parts, 7 files (the
# device tool brings back 8 at most).
# SMOKE=1 runs every part in seconds (the `,smoke` recipe, tiny datasets) to check the script.
# Timing: on one H200 (2026-11-26) six pretraining runs side by side took 155-250 s for 4,000
# steps each, bound by the host's batches (30-40 ms); those are now about 3x cheaper
# (benchmarks/pretrain_batches.py), so 8,000 steps should fit in PRETRAIN_SECONDS=330,
# but this grid has not run on a GPU: a run that is not done by then is stopped (it saves a
# checkpoint, not a model) and is not scored. Scoring took about 20 s per model.
# Usage: bash studies/place/gpu_runs.sh OUT_DIR [PRETRAIN_SECONDS] [EVAL_SECONDS]
set -u
out=${1:?usage: place_gpu_runs.sh OUT_DIR [PRETRAIN_SECONDS] [EVAL_SECONDS]}
secs=${2:-330}
eval_secs=${3:-180}
smoke=${SMOKE:-0}
source "$(dirname "$0")/../gpu_runs_lib.sh"
gpu_runs_start "$out" place_runs  # sets $root
data_flags=()
[ "$smoke" = 1 ] && data_flags=(--num_envs=4 --episode_steps=16 --rollouts=1)
# offline_pr with each family's run-config negatives: every family (datasets cached in
# $root/pr), and Pick-and-place again on a second dataset seed (in $root/pr4321)
pr_base=(python3 -m experiments.analysis.offline_pr --extra_negatives "${data_flags[@]}")
pr=("${pr_base[@]}" --out="$root/pr")
pr2=("${pr_base[@]}" --out="$root/pr4321" --seed=4321 --families=place)
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
"${pr2[@]}" --models= >"$root/datasets4321.log" 2>&1 &
pids+=($!)
for seed in 0 1 2; do
  pretrain "S_8000_s$seed" S,relations --config.num_steps=8000 --config.seed=$seed
done
wait "${pids[@]}"
models=""
for m in "$root"/*/model; do
  name=$(basename "$(dirname "$m")")
  [ -f "$m/flax_model.msgpack" ] || continue
  models="$models,$name=$m"
done
models=${models#,}
calib_flags=()
[ "$smoke" = 1 ] && calib_flags=(--num_envs=4 --rollouts=1)
if [ -z "$models" ]; then
  echo "no pretraining run finished in ${secs} s" >&2
else
  timeout -k 20 "$eval_secs" "${pr[@]}" --models="$models" >"$root/offline_pr.log" 2>&1 &
  timeout -k 20 "$eval_secs" "${pr2[@]}" --models="$models" >"$root/offline_pr4321.log" 2>&1 &
  # Each model's Find reward where the agent lives (random-walk frames): the main job's
  # config and its threshold rule.
  timeout -k 20 "$eval_secs" python3 -m experiments.analysis.calibrate \
    --config=experiments/configs/playhouse_find.py --models="$models" "${calib_flags[@]}" \
    --out="$root/calibration_find.json" >"$root/calibrate.log" 2>&1 &
  wait
fi
cp "$root/calibration_find.json" "$out/" 2>/dev/null
cp "$root/pr/offline_pr.json" "$out/" 2>/dev/null
cp "$root/pr4321/offline_pr.json" "$out/offline_pr_place_4321.json" 2>/dev/null
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
def heldout_place(name):
  path = out / name
  table = json.loads(path.read_text()) if path.exists() else {}
  return {k: (v.get("place/heldout") or {}).get("average_precision") for k, v in table.items()
          if not k.startswith("_")}
ap = {k: [a, heldout_place("offline_pr_place_4321.json").get(k)]
      for k, a in heldout_place("offline_pr.json").items()}
ap = {k: v for k, v in ap.items() if None not in v}
print(json.dumps({"heldout_place_ap_seeds_1234_4321": ap}))
best = max(ap, key=lambda k: sum(ap[k]), default=None)
(root / "best.txt").write_text(f"{best}\n" if best else "")
print("best bundle candidate:", best)
PY
best=$(cat "$root/best.txt" 2>/dev/null)
if [ -n "$best" ]; then
  tar -czf - -C "$root/$best" model | split -b 15M - "$out/best_model.tar.gz."
fi
ls -la "$out"
