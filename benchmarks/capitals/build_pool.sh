#!/usr/bin/env bash
# Rebuild benchmarks/capitals/pool.parquet from scratch on the embedded model (CPU; about an hour).
# Resumable: generations and scores are cached in .pessimism-cache/, so re-running after an
# interruption regenerates nothing that was finished. Usage: bash benchmarks/capitals/build_pool.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PESSIMISM="${PESSIMISM:-$ROOT/.venv/bin/pessimism}"
PROMPTS="${PROMPTS:-192}"
SAMPLES="${SAMPLES:-128}"

"$PESSIMISM" generate \
  --task capitals_fewshot --limit "$PROMPTS" --samples "$SAMPLES" \
  --policy "embedded?chat_template=none" \
  --reward judge=judge:fewshot --reward self_certainty=self_certainty \
  --temperature 1.0 --top-p 1.0 --max-tokens 12 --stop $'\n' --seed 0 \
  --cache "$ROOT/.pessimism-cache/capitals-benchmark.sqlite" \
  --out "$HERE/pool.parquet"

"$(dirname "$PESSIMISM")/python" "$HERE/record_meta.py" --prompts "$PROMPTS" --samples "$SAMPLES"
