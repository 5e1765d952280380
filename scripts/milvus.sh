#!/usr/bin/env bash
# Starts and stops a real Milvus standalone server for copycat's Milvus index
# backend and its integration tests:
#
#   scripts/milvus.sh up      install (once) and start it, wait until healthy
#   scripts/milvus.sh down    stop it gracefully
#   scripts/milvus.sh status  say whether it runs and is healthy
#
# The server is the binary shipped inside PyPI's `milvus` package (Milvus
# standalone with embedded etcd, RocksMQ and local storage), installed into a
# virtualenv under .cache/milvus. We use the package only to unpack the
# binary and render its config; the binary itself is started by this script,
# not by the package's `milvus-server` wrapper, because the wrapper kills the
# server one second after SIGTERM and dies without stopping it on any other
# signal, which is no way to stop a database.
#
# Everything lives under $COPYCAT_MILVUS_DIR (default <repo>/.cache/milvus):
# venv/, data/ (config, binaries, etcd, segments), milvus.log, milvus.pid.
# `up` prints `export COPYCAT_TEST_MILVUS=127.0.0.1:19530` and writes it to
# <repo>/.cache/milvus.env.
set -euo pipefail

# PyPI has Linux x86_64 wheels of `milvus` up to 2.3.5 only (2.3.6-2.3.9 are
# macOS arm64 wheels), so 2.3.5 is the newest server we can run here.
MILVUS_PIP_VERSION=2.3.5
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${COPYCAT_MILVUS_DIR:-$repo/.cache/milvus}
venv=$base/venv
data=$base/data
log=$base/milvus.log
pidfile=$base/milvus.pid
envfile=$repo/.cache/milvus.env
port=${COPYCAT_MILVUS_PORT:-19530}
# The health endpoint (/healthz) and Prometheus metrics share this port.
metrics_port=${COPYCAT_MILVUS_METRICS_PORT:-9091}
addr=127.0.0.1:$port
# How often (ms) the proxy publishes time ticks. A Strong-consistency read,
# which copycat's index needs for read-your-writes, waits for the next tick,
# so this is the floor of every search's latency. Milvus's default is 200;
# 50 cuts that wait fourfold for a little more background work.
tick_ms=${COPYCAT_MILVUS_TICK_MS:-50}
# Bounded waits, in seconds.
start_timeout=${COPYCAT_MILVUS_START_TIMEOUT:-180}
stop_timeout=${COPYCAT_MILVUS_STOP_TIMEOUT:-120}

say() { echo "milvus: $*" >&2; }

pid_alive() {
  [ -s "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must still be our binary.
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$data/bin/milvus" ]
}

healthz() {
  python_http "http://127.0.0.1:$metrics_port/healthz" 2>/dev/null | grep -q OK
}

# curl is not on a clean Debian 12; the venv's Python is always there.
python_http() {
  "$venv/bin/python" - "$1" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# sdk_ping makes a real client call (server version + list collections)
# with the Go SDK copycat itself uses, so "healthy" means what the index
# backend needs, not only that a port answers.
sdk_ping() {
  (cd "$repo" && go run ./index/milvus/cmd/milvusping -addr "$addr" -timeout "${1:-30s}")
}

install() {
  if ! "$venv/bin/python" -c 'import milvus, sys; sys.exit(milvus.__version__ != sys.argv[1])' \
      "$MILVUS_PIP_VERSION" 2>/dev/null; then
    mkdir -p "$base"
    if ! command -v python3 >/dev/null || ! python3 -m venv "$venv" >/dev/null 2>&1; then
      # Debian ships venv (ensurepip) separately from python3, and a
      # minimal image may have no python3 at all.
      say "installing python3 and python3-venv"
      local sudo=""
      [ "$(id -u)" = 0 ] || sudo=sudo
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    say "installing milvus==$MILVUS_PIP_VERSION from PyPI into $venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "milvus==$MILVUS_PIP_VERSION"
  fi
}

# render writes $data/configs/milvus.yaml and unpacks the server binary and
# its libraries into $data/bin (skipped by the package when unchanged).
render() {
  mkdir -p "$data"
  "$venv/bin/python" - "$data" "$port" "$tick_ms" <<'PY'
import sys
import milvus

data, port, tick_ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = milvus.MilvusServerConfig(data_dir=data, proxy_port=port)
# Advertise loopback addresses between the embedded components so that
# nothing is routed through the machine's external interface.
for comp in ("rootCoord", "proxy", "queryCoord", "queryNode",
             "indexNode", "dataCoord", "dataNode"):
    cfg.set(comp + ".ip", "127.0.0.1")
cfg.set("proxy.timeTickInterval", tick_ms)
# On SIGTERM a query node waits for its segments to move to another query
# node, which a standalone server never has, until this timeout (Milvus's
# default: 1800 s). After it Milvus quits on its own; everything it had
# acknowledged is already in its write-ahead log.
cfg.set("common.gracefulStopTimeout", 10)
# resolve() fails if the proxy port is taken and picks free ports for the
# internal components.
cfg.resolve()
# Log to stdout (captured in milvus.log by the caller) instead of files
# under data/logs, so that there is one log to read.
cfg.set("system_log_path", "")
cfg.write_config()
milvus._initialize_data_files(data)
PY
}

status() {
  if pid_alive && healthz; then
    echo "milvus: running, pid $(cat "$pidfile"), $addr, healthy"
    return 0
  fi
  if pid_alive; then
    echo "milvus: running, pid $(cat "$pidfile"), $addr, not healthy"
    return 1
  fi
  echo "milvus: not running"
  return 3
}

write_env() {
  mkdir -p "$(dirname "$envfile")"
  echo "export COPYCAT_TEST_MILVUS=$addr" >"$envfile"
  echo "export COPYCAT_TEST_MILVUS=$addr"
}

up() {
  if pid_alive; then
    say "already running (pid $(cat "$pidfile"))"
    wait_healthy
    write_env
    return 0
  fi
  if port_open "$port"; then
    say "127.0.0.1:$port is already taken by another process; stop it or set COPYCAT_MILVUS_PORT"
    exit 1
  fi
  install
  render
  local t0=$SECONDS
  say "starting on $addr (data $data, log $log)"
  # setsid: the server outlives this script and is not hit by the caller's
  # Ctrl-C; MILVUS_RUN_DIR holds its own pid files.
  (
    cd "$data"
    export DEPLOY_MODE=STANDALONE METRICS_PORT=$metrics_port MILVUS_RUN_DIR=$data/run
    export LD_LIBRARY_PATH=$data/bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    exec setsid "$data/bin/milvus" run standalone </dev/null >>"$log" 2>&1
  ) &
  echo $! >"$pidfile"
  wait_healthy
  say "healthy after $((SECONDS - t0)) s, rss $(rss_mb) MiB"
  write_env
}

rss_mb() {
  awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$(cat "$pidfile")/status" 2>/dev/null || echo "?"
}

wait_healthy() {
  local deadline=$((SECONDS + start_timeout))
  until port_open "$port" && healthz; do
    if ! pid_alive; then
      say "server exited during startup; last log lines:"
      tail -n 30 "$log" >&2 || true
      rm -f "$pidfile"
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "not healthy after ${start_timeout}s; see $log"
      exit 1
    fi
    sleep 1
  done
  local left=$((deadline - SECONDS))
  [ "$left" -gt 5 ] || left=5
  if ! sdk_ping "${left}s"; then
    say "port and /healthz answer but the SDK call failed; see $log"
    exit 1
  fi
}

down() {
  if ! pid_alive; then
    rm -f "$pidfile"
    say "not running"
    return 0
  fi
  local pid
  pid=$(cat "$pidfile")
  say "stopping pid $pid"
  # SIGTERM starts Milvus's graceful stop (flushes and closes the embedded
  # etcd and RocksMQ); SIGKILL only if that hangs past the bound.
  kill -TERM "$pid"
  local deadline=$((SECONDS + stop_timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "still running after ${stop_timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.5
  done
  rm -f "$pidfile"
  say "stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
