#!/usr/bin/env bash
# scripts/eval.sh [SEED] — accuracy of copycat on the labelled corpus.
#
# Fetches the real clips (../shared/corpus/get_videos.sh into build/videos),
# builds the corpus for SEED (default 1) into $CACHE/corpus-seedSEED unless it
# is already complete, builds copycat and runs `copycat eval` on it. The
# fingerprints of corpus files are cached under $CACHE/eval-data/fpcache, so
# a re-run after a matcher change only re-matches.
#   SEED=2 scripts/eval.sh      another corpus: a figure that holds for one
#                               seed only is tuned to it
#   JSON=1 scripts/eval.sh      the report as JSON
#   CORPUS_ONLY=1 scripts/eval.sh   only fetch the clips and build the corpus;
#                               prints its path
#   CORPUS_TOOLS=DIR            where get_videos.sh and make_corpus.py live
#                               (default ../shared/corpus next to the repo)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${CACHE:-$root/.cache}"
seed="${1:-${SEED:-1}}"
# shellcheck source=clips.sh
. "$root/scripts/clips.sh"
corpus="$cache/corpus-seed$seed"

log() { echo "eval.sh: $*" >&2; }

case "$seed" in ''|*[!0-9]*) log "SEED must be a number, got '$seed'"; exit 2 ;; esac
mkdir -p "$cache"
fetch_clips eval.sh >&2
[ -f "$tools/make_corpus.py" ] || { log "make_corpus.py not found in $tools (set CORPUS_TOOLS)"; exit 1; }

if [ ! -f "$corpus/truth.csv" ] || [ ! -f "$corpus/README.txt" ]; then
  # Built aside and moved into place, so an interrupted build is redone.
  rm -rf "$corpus.tmp"
  log "building corpus seed $seed into $corpus (a few minutes)"
  python3 "$tools/make_corpus.py" --sources "$videos" --out "$corpus.tmp" --seed "$seed" >&2
  rm -rf "$corpus"
  mv "$corpus.tmp" "$corpus"
fi

# CORPUS_ONLY=1: stop here (CI builds the corpus for the corpus tests).
if [ "${CORPUS_ONLY:-0}" = 1 ]; then
  echo "$corpus"
  exit 0
fi

(cd "$root" && go build -o "$cache/copycat" ./cmd/copycat)
args=(eval --corpus "$corpus" --data "$cache/eval-data")
[ "${JSON:-0}" = 1 ] && args+=(--json)
exec "$cache/copycat" "${args[@]}"
