#!/usr/bin/env bash
# Evaluate the committed pool with every rule, N = 1..128, parameters tuned per N on a seeded
# calibration half of the prompts and reported on the held-out half; once per reward signal.
# Writes results/<signal>/{results.csv,summary.json,scaling.png} (or under $RESULTS) and prints the
# README's tables.
# Usage: bash benchmarks/capitals/evaluate.sh      (about a minute)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${PESSIMISM_BIN:-$ROOT/.venv/bin}"
RESULTS="${RESULTS:-$HERE/results}"

for signal in judge self_certainty; do
  "$BIN/pessimism" lab "$HERE/pool.parquet" --proxy "$signal" \
    --methods bon,itp,soft_bon,topk,best_of_poisson,majority_vote,weighted_majority_vote,itp_alg1,uniform,oracle \
    --n 1,2,4,8,16,32,64,128 --beta auto --tau auto --topk-m auto --tune-bon-n \
    --calib-frac 0.5 --seed 0 --reps 200 --x n --no-progress \
    --out "$RESULTS/$signal"
done
"$BIN/python" "$HERE/table.py" "$RESULTS"
