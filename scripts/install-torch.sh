#!/usr/bin/env bash
# Installs PyTorch's CPU build (2.13.0+cpu) into a git-ignored virtual environment, .data/torch-venv,
# for the PyTorch baseline of TrainingBenchmarks (Benchmarks/pytorch/train_step.py). pip takes the
# wheel from its find-links folder when one is configured (a local copy), otherwise from PyTorch's
# CPU index. Running it again does nothing once torch imports.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${TORCH_VENV:-$PWD/.data/torch-venv}"
VERSION="2.13.0+cpu"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__ != '$VERSION')" 2>/dev/null; then
    echo "torch $VERSION already in $VENV"
    exit 0
fi
mkdir -p "$(dirname "$VENV")"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet "torch==$VERSION" numpy \
    || "$VENV/bin/python" -m pip install --quiet "torch==$VERSION" numpy --extra-index-url https://download.pytorch.org/whl/cpu
"$VENV/bin/python" -c "import torch; print('installed torch', torch.__version__, 'in $VENV')"
