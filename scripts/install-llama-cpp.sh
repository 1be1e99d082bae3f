#!/usr/bin/env bash
# Installs the peers of the quantization benchmarks into a git-ignored virtual environment,
# .data/llama-venv: llama-cpp-python (which builds llama.cpp from source, here for this CPU) and
# gguf-py (llama.cpp's own GGUF reader/writer and numpy quantisers, the golden reference of the
# GGUF writer's fixtures). Running it again does nothing once both import.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LLAMA_VENV:-$PWD/.data/llama-venv}"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import llama_cpp, gguf" 2>/dev/null; then
    echo "llama-cpp-python and gguf already in $VENV"
    exit 0
fi
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet numpy gguf
CMAKE_ARGS="-DGGML_NATIVE=ON" CMAKE_BUILD_PARALLEL_LEVEL="${JOBS:-2}" \
    "$VENV/bin/python" -m pip install --quiet --no-cache-dir llama-cpp-python
"$VENV/bin/python" -c "import llama_cpp, gguf; print('installed llama-cpp-python', llama_cpp.__version__, 'and gguf in $VENV')"
