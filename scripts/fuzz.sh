#!/usr/bin/env bash
# Runs every fuzz target (func FuzzXxx in *_test.go) for the given time each.
#   scripts/fuzz.sh [FUZZTIME]   e.g. 20s (default), 5m
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-20s}
fail=0
while IFS=: read -r file name; do
  pkg=./$(dirname "$file")
  echo "== $pkg $name ($t)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg" || fail=1
done < <(grep -rEo --include='*_test.go' '^func (Fuzz[A-Za-z0-9_]+)' . | sed -E 's/^\.\/(.*):func (Fuzz.*)$/\1:\2/' | sort -u)
exit $fail
