#!/usr/bin/env bash
# Whole-process timing of `ecg predict` for one record: libtorch (`--checkpoint`, handed to
# ecg-torch) against our ONNX runtime (`--model`, in the light `ecg`), for each checkpoint
# given (exported beside it to CKPT.onnx first). Wall time from process start to the answer:
# hyperfine (median of --runs runs after 2 warm-ups, -N: no shell); CPU time (user + system,
# mean of 5 runs) and peak memory (largest of those 5): GNU time. On a machine shared with
# other jobs the wall time includes waiting for a core; the CPU time does not.
# Usage: scripts/bench_onnx.sh [--runs N] BIN_DIR CKPT... (BIN_DIR holds ecg and ecg-torch;
# needs hyperfine and /usr/bin/time). RECORD overrides the record (default: PTB-XL sample
# record 1 at 100 Hz).
set -euo pipefail
runs=20
if [[ "${1:-}" == "--runs" ]]; then runs=$2; shift 2; fi
bin=$1; shift
root=$(cd "$(dirname "$0")/.." && pwd)
record=${RECORD:-$root/../shared/data/ptbxl-sample/records100/00000/00001_lr}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-22s %-11s %10s %8s %12s %9s\n' model path median_ms cpu_ms peak_RSS_MB onnx_KiB
for ck in "$@"; do
  onnx=${ck%.safetensors}.onnx
  "$bin/ecg" export onnx --checkpoint "$ck" --out "$onnx" 2>/dev/null
  kib=$(( $(stat -c %s "$onnx") / 1024 ))
  for path in checkpoint model; do
    if [[ $path == checkpoint ]]; then cmd="$bin/ecg predict --checkpoint $ck $record"
    else cmd="$bin/ecg predict --model $onnx $record"; fi
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/h.json" "$cmd" >/dev/null 2>&1
    median=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median']*1e3)" "$out/h.json")
    cpu=0; rss=0
    for _ in 1 2 3 4 5; do
      read -r u sy m < <(/usr/bin/time -f '%U %S %M' $cmd 2>&1 >/dev/null | tail -1)
      cpu=$(echo "$cpu + ($u + $sy) * 1000 / 5" | bc -l)
      (( m > rss )) && rss=$m
    done
    printf '%-22s %-11s %10.1f %8.0f %12.1f %9s\n' "$(basename "$(dirname "$ck")")" "$path" "$median" "$cpu" "$(echo "$rss/1024" | bc -l)" "$kib"
  done
done
