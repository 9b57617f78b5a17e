# Shared by scripts/demo.sh and scripts/test.sh: create .venv (once) and install pessimism with the
# extras given in $1. Safe to re-run: pip skips what is already installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PESSIMISM_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
EXTRAS="$1"

if [ ! -x "$VENV/bin/python" ]; then
  echo ">> creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)

# llama.cpp compiled with -march=native can crash on CPUs that advertise AMX to a VM that does not
# enable it; a portable AVX2 build is as fast for a 270M model. Users may override CMAKE_ARGS.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}"

if [[ "$EXTRAS" == *hf* || "$EXTRAS" == *all* ]] && ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  # Pin torch only here, for a reproducible CPU test run; the package itself never pins it.
  echo ">> installing ${PESSIMISM_TORCH_SPEC:-torch==2.13.0}"
  "${PIP[@]}" "${PESSIMISM_TORCH_SPEC:-torch==2.13.0}"
fi

echo ">> installing pessimism[$EXTRAS] (the first run builds llama.cpp: ~8 minutes)"
"${PIP[@]}" -e "$ROOT[$EXTRAS]"

if [[ "$EXTRAS" == *llama* || "$EXTRAS" == *all* ]]; then
  # A llama.cpp wheel cached from an earlier native build may crash here: check with one real token,
  # and rebuild from source with the portable flags if it does.
  if ! "$VENV/bin/python" "$ROOT/scripts/check_llama.py"; then
    echo ">> the installed llama-cpp-python crashed; rebuilding it with CMAKE_ARGS=$CMAKE_ARGS"
    "${PIP[@]}" --no-cache-dir --force-reinstall --no-deps "llama-cpp-python"
    "$VENV/bin/python" "$ROOT/scripts/check_llama.py"
  fi
fi
