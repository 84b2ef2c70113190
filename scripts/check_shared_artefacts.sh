#!/usr/bin/env bash
# Plain `cargo build` and `cargo xtask` share their artefacts: a plain release build of the
# two binaries, then an xtask command that builds them (reproduce, stopped at once by a
# data folder that does not exist, after its build), then the plain build again. Cargo's
# fingerprint log (CARGO_LOG=cargo::core::compiler::fingerprint=info) names every unit it
# finds stale; the check fails when the second or third build finds any or compiles any.
# Usage: scripts/check_shared_artefacts.sh   (from anywhere; builds in the workspace)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export CARGO_LOG=cargo::core::compiler::fingerprint=info
build() { cargo build --release -p ecg-cli -p ecg-torch-cli 2>"$logs/$1.log"; }
stale() { grep -cE 'stale|dirty|Compiling ' "$logs/$1.log" || true; }

# xtask itself is built first (its own build is not the question).
CARGO_LOG= cargo build --quiet -p xtask || exit 1
t0=$(date +%s)
build plain1 || { cat "$logs/plain1.log" | tail -20; exit 1; }
t1=$(date +%s)
cargo xtask reproduce ptbxl --data "$logs/no-such-data" --out "$logs/run" >"$logs/xtask.out" 2>"$logs/xtask.log"
t2=$(date +%s)
build plain2 || { tail -20 "$logs/plain2.log"; exit 1; }
t3=$(date +%s)

grep -q 'no-such-data' "$logs/xtask.log" || { echo "xtask did not get past its build:"; tail -20 "$logs/xtask.log"; exit 1; }
fail=0
for part in xtask plain2; do
  n=$(stale "$part")
  echo "$part: $n stale/dirty/compiled unit line(s)"
  if [ "$n" != "0" ]; then
    grep -E 'stale|dirty|Compiling ' "$logs/$part.log" | head -20
    fail=1
  fi
done
echo "times: plain build $((t1-t0)) s, xtask $((t2-t1)) s, plain again $((t3-t2)) s"
exit $fail
