# Shared by the GPU run scripts (`source`d by launcher_gpu_runs.sh and android_gpu_runs.sh).

# gpu_runs_start OUT_DIR NAME: refuses an OUT_DIR that holds anything (earlier results are never
# overwritten); sets $root to a fresh folder for the runs' workdirs; each process may take a
# tenth of the GPU's memory.
gpu_runs_start() {
  if [ -n "$(ls -A "$1" 2>/dev/null)" ]; then
    echo "$1 is not empty: it may hold earlier results; pass another OUT_DIR." >&2
    exit 2
  fi
  root=$(mktemp -d "/tmp/$2.XXXXXX")
  mkdir -p "$1"
  echo "run workdirs (checkpoints; --resume continues them): $root" >&2
  export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_MEM_FRACTION=0.09
}

# gpu_runs_finish ROOT OUT_DIR: OUT_DIR/summary.json (each run's last logged row and last
# evaluation; printed short) and OUT_DIR/runs.tar.gz (configs, metrics.jsonl and logs).
gpu_runs_finish() {
  python3 - "$1" "$2/summary.json" <<'PY'
import json, pathlib, sys
root, rows = pathlib.Path(sys.argv[1]), {}
for run in sorted(p for p in root.iterdir() if (p / "metrics.jsonl").is_file()):
  lines = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines() if l]
  evals = [r for r in lines if "eval/heldout_gt_success" in r]
  rows[run.name] = {"last": lines[-1] if lines else None,
                    "last_eval": evals[-1] if evals else None, "logged_rows": len(lines)}
pathlib.Path(sys.argv[2]).write_text(json.dumps(rows, indent=1))
print(json.dumps({k: ((v["last_eval"] or {}).get("eval/heldout_gt_success"),
                      (v["last"] or {}).get("frames")) for k, v in rows.items()}))
PY
  tar -czf "$2/runs.tar.gz" -C "$1" --exclude=checkpoints --exclude=tensorboard .
}
