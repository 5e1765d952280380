#!/usr/bin/env bash
# Installs Debian's chromium for the page tests in web/ui (idempotent: apt
# runs only when the package is missing) and prints the variable that
# switches those tests on:
#
#   eval "$(scripts/browser.sh)"   # then: go test ./web/ui/
#
# The tests start Chromium themselves, headless, with a throw-away profile
# and background networking off, so there is no server to stop.
set -euo pipefail
pkg=chromium
if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "browser: installing $pkg" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$pkg" fonts-dejavu-core >&2
fi
exe=/usr/bin/chromium
if [ ! -x "$exe" ]; then
  echo "browser: $exe is missing after installing $pkg" >&2
  exit 1
fi
# Fail here, not in the tests, if the binary cannot start at all.
"$exe" --headless --no-sandbox --disable-gpu --version >/dev/null 2>&1 || "$exe" --version >/dev/null
echo "export COPYCAT_TEST_BROWSER=$exe"
