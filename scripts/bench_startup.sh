#!/usr/bin/env bash
# Whole-process start-up cost of `ecg`, side by side: `ecg --version` and `ecg read` of one
# record, for each binary given (e.g. an `ecg` that links libtorch and the light one).
# Wall time: hyperfine (median of --runs runs, after warm-up); peak memory: /usr/bin/time -v.
# Usage: scripts/bench_startup.sh [--runs N] ECG... (needs hyperfine and GNU time)
set -euo pipefail
runs=7
if [[ "${1:-}" == "--runs" ]]; then runs=$2; shift 2; fi
root=$(cd "$(dirname "$0")/.." && pwd)
record=${RECORD:-$root/../shared/data/ptbxl-sample/records100/00000/00001_lr}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ecg in "$@"; do
  for what in version read; do
    case $what in
      version) cmd="$ecg --version" ;;
      read) cmd="$ecg read $record --out $out/r.npy" ;;
    esac
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/h.json" "$cmd" >/dev/null 2>&1
    median=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$out/h.json")
    rss=$(/usr/bin/time -v $cmd 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}')
    printf '%-60s %-8s median %.3f s  peak RSS %6.1f MB\n' "$ecg" "$what" "$median" "$(echo "$rss/1024" | bc -l)"
  done
done
