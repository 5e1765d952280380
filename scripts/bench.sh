#!/usr/bin/env bash
# Runs every Go benchmark once and keeps the output in .cache/bench.txt.
# Each benchmark measures its own baseline in the same run (plain ffmpeg
# decoding, brute-force Hamming scan, the embedded index next to Milvus, a
# direct call next to the Kafka hook) and reports the ratio as a metric.
#   BENCH=regex      only the matching benchmarks (default: all)
#   PKGS="./index/"  only these packages (default: ./...)
#   BENCHTIME=1x     go test -benchtime (default 1x: the benchmarks size themselves)
#   COPYCAT_BENCH_LARGE=1  also the 10 M-hash index sizes
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
# Servers started by `make services-up` switch on the benchmarks that need them
# (Milvus against the embedded index, PostgreSQL against SQLite).
for f in .cache/milvus.env .cache/postgres.env .cache/kafka.env; do
  # shellcheck disable=SC1090
  [ -f "$f" ] && source "$f"
done
out=.cache/bench.txt
go test -run '^$' -bench "${BENCH:-.}" -benchtime "${BENCHTIME:-1x}" -benchmem -timeout 60m ${PKGS:-./...} | tee "$out"
echo "bench: results in $out"
