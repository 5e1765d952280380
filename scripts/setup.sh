#!/usr/bin/env bash
# Installs the Debian 12 packages copycat builds and runs with. Idempotent:
# packages already present are not touched, and apt-get update runs only when
# something is missing.
set -euo pipefail
pkgs=(libopencv-dev pkg-config ffmpeg ${COPYCAT_EXTRA_PACKAGES:-})
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present (${pkgs[*]})"
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
