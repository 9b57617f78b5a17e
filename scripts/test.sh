#!/usr/bin/env bash
# The whole test suite, from a fresh clone: creates .venv, installs every extra a CPU machine can run,
# then runs pytest. Extra arguments go to pytest (e.g. scripts/test.sh tests/select -x).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/_venv.sh" "all,test"
cd "$ROOT"
exec "$VENV/bin/python" -m pytest "$@"
