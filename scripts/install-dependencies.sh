#!/usr/bin/env bash
# Installs the Debian packages the suite links against, if any is missing.
# Runs apt-get directly as root, through sudo otherwise, and explains what to do when neither works.
set -euo pipefail

packages=(pkg-config libopenblas-dev libsentencepiece-dev zlib1g-dev bubblewrap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  echo "error: these packages are missing and this user can neither run apt-get as root nor use sudo:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install them as an administrator: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
