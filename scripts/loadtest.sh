#!/usr/bin/env bash
# Bounded load test of the copycat HTTP API (web.BenchmarkLoad): a real
# listener on 127.0.0.1:0 over the embedded index and SQLite in a temporary
# directory; p50/p99 latency and throughput of the read endpoints (baseline:
# /healthz through the same stack) and of uploads:check on a 15 s clip
# (baseline: the same check in-process without HTTP).
#
# Knobs: COPYCAT_LOAD_READS (requests per read endpoint, default 2000),
# COPYCAT_LOAD_CONCURRENCY (read workers, default 8), COPYCAT_LOAD_CHECKS
# (fresh uploads checked, default 6). Needs ffmpeg (make setup installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { echo "loadtest: ffmpeg is required (make setup)" >&2; exit 1; }
exec go test ./web -run '^$' -bench '^BenchmarkLoad$' -benchtime 1x -timeout 30m -v "$@"
