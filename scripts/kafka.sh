#!/usr/bin/env bash
# scripts/kafka.sh up|down|status — a real Apache Kafka broker (KRaft, one
# combined broker+controller node) for the end-to-end test of the upload hook.
#
# The broker is Maven Central's org.apache.kafka:kafka_2.13 run with the
# machine's Java 17: no Docker and no tarball from outside the registries.
# Everything lives under $CACHE/kafka (default .cache/kafka): jars in libs/,
# the log in kafka.out, data in data/. It listens on 127.0.0.1 only, on
# $KAFKA_PORT (default 19092; the controller on KAFKA_PORT+1).
#
# `up` is idempotent: it installs what is missing, formats storage once,
# starts the broker unless it already answers, creates the topics the hook
# uses, prints `export COPYCAT_TEST_KAFKA=127.0.0.1:PORT` and writes it to
# $CACHE/kafka.env. `down` stops the broker and keeps the data.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${CACHE:-$root/.cache}"
dir="$cache/kafka"
port="${KAFKA_PORT:-19092}"
cport=$((port + 1))
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/scripts/kafka/pom.xml")"
pidfile="$dir/kafka.pid"
addr="127.0.0.1:$port"
topics=(uploads upload-verdicts uploads.dlq)
partitions="${KAFKA_PARTITIONS:-4}"

log() { echo "kafka.sh: $*" >&2; }

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

java_cp() {
  java -Xms64m -Xmx256m -Dlog4j.configuration="file:$dir/tools-log4j.properties" -cp "$dir/libs/*" "$@"
}

install_tools() {
  local need=()
  command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || need+=(maven)
  if [ ${#need[@]} -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
  local major
  major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  if [ "${major:-0}" -lt 11 ]; then
    log "Kafka $version needs Java 11 or newer, found ${major:-none}"
    exit 1
  fi
}

fetch_jars() {
  # The marker records the version so that bumping it in the pom refetches.
  if [ -f "$dir/libs/.version" ] && [ "$(cat "$dir/libs/.version")" = "$version" ]; then
    return
  fi
  log "fetching kafka_2.13:$version and its dependencies from Maven Central"
  rm -rf "$dir/libs"
  mkdir -p "$dir/libs"
  mvn -q -B -Dstyle.color=never -f "$root/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs"
  echo "$version" >"$dir/libs/.version"
}

write_config() {
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
# Written by scripts/kafka.sh; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=$partitions
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
group.initial.rebalance.delay.ms=0
# Tests create their own topics; a typo in a topic name must fail, not
# silently create a topic nobody reads.
auto.create.topics.enable=false
log.retention.hours=24
EOF
  cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
EOF
  cat >"$dir/tools-log4j.properties" <<EOF
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

format_storage() {
  [ -f "$dir/data/meta.properties" ] && return
  local id
  id="$(java_cp kafka.tools.StorageTool random-uuid)"
  log "formatting storage (cluster $id)"
  java_cp kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" >/dev/null
}

existing=""

wait_ready() {
  local i
  for i in $(seq 1 90); do
    if ! running; then
      log "broker exited; last lines of $dir/kafka.out:"
      tail -n 30 "$dir/kafka.out" >&2 || true
      exit 1
    fi
    # Listing topics is the readiness probe and tells which topics exist.
    if existing="$(java_cp org.apache.kafka.tools.TopicCommand --bootstrap-server "$addr" --list 2>/dev/null)"; then
      return
    fi
    sleep 1
  done
  log "broker did not answer on $addr within 90 s; see $dir/kafka.out"
  exit 1
}

create_topics() {
  local t
  for t in "${topics[@]}"; do
    grep -qx -- "$t" <<<"$existing" && continue
    java_cp org.apache.kafka.tools.TopicCommand --bootstrap-server "$addr" --create --if-not-exists \
      --topic "$t" --partitions "$partitions" --replication-factor 1 >/dev/null
  done
}

up() {
  install_tools
  fetch_jars
  write_config
  if running; then
    log "broker already running (pid $(cat "$pidfile"))"
  else
    format_storage
    log "starting Kafka $version on $addr"
    # setsid: the broker must outlive this shell and must not get its SIGINT.
    setsid java -Xms256m -Xmx768m -XX:+UseG1GC \
      -Dlog4j.configuration="file:$dir/log4j.properties" \
      -cp "$dir/libs/*" kafka.Kafka "$dir/server.properties" \
      >"$dir/kafka.out" 2>&1 </dev/null &
    echo $! >"$pidfile"
  fi
  wait_ready
  create_topics
  echo "export COPYCAT_TEST_KAFKA=$addr" | tee "$cache/kafka.env"
}

down() {
  if ! running; then
    rm -f "$pidfile"
    log "broker not running"
    return
  fi
  local pid i
  pid="$(cat "$pidfile")"
  log "stopping broker (pid $pid)"
  kill -TERM "$pid"
  for i in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "broker did not stop in 60 s; killing it"
    kill -KILL "$pid"
  fi
  rm -f "$pidfile" "$cache/kafka.env"
}

case "${1:-}" in
up) up ;;
down) down ;;
status)
  if running; then echo "running (pid $(cat "$pidfile")) on $addr"; else echo "stopped"; exit 1; fi
  ;;
*)
  echo "usage: $0 up|down|status" >&2
  exit 2
  ;;
esac
