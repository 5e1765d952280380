#!/usr/bin/env bash
# Starts and stops a private PostgreSQL for copycat's claims store tests:
#
#   scripts/postgres.sh up      install Debian's postgresql if missing, create
#                               the cluster (once), start it, create the
#                               copycat_test role and database
#   scripts/postgres.sh down    stop it (fast shutdown), keeping the data
#   scripts/postgres.sh status  say whether it runs
#
# The cluster lives in $COPYCAT_POSTGRES_DIR (default <repo>/.cache/postgres),
# listens on 127.0.0.1:$COPYCAT_POSTGRES_PORT (default 55432, away from the
# system cluster's 5432) and keeps its Unix socket in that directory, so it
# never touches the system cluster or /var/run/postgresql. As root the server
# runs as the `postgres` user (PostgreSQL refuses to run as root); otherwise
# as the calling user.
#
# `up` prints `export COPYCAT_TEST_POSTGRES=postgres://...` and writes it to
# <repo>/.cache/postgres.env. Running `up` twice is harmless.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${COPYCAT_POSTGRES_DIR:-$repo/.cache/postgres}
data=$base/data
log=$base/postgres.log
port=${COPYCAT_POSTGRES_PORT:-55432}
envfile=$repo/.cache/postgres.env
db=copycat_test
user=copycat_test
# A fixed password is fine: the server only listens on 127.0.0.1 and holds
# nothing but throwaway test schemas.
password=${COPYCAT_POSTGRES_PASSWORD:-copycat_test}
url="postgres://$user:$password@127.0.0.1:$port/$db?sslmode=disable"

say() { echo "postgres: $*" >&2; }

find_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

install_postgres() {
  if find_bindir >/dev/null; then return 0; fi
  say "installing Debian's postgresql"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # Installing the package creates and starts a `main` cluster on 5432; we
  # leave it alone and run our own.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# as_owner runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

psql_admin() {
  # Over the private Unix socket as the cluster owner (peer authentication).
  as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$base" -p "$port" -d postgres "$@"
}

up() {
  install_postgres
  bindir=$(find_bindir)
  mkdir -p "$base"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$base"
    # The owner must be able to reach its directory through every parent.
    local d=$base
    while [ "$d" != / ]; do
      d=$(dirname "$d")
      chmod o+x "$d" 2>/dev/null || true
    done
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    say "creating cluster in $data"
    as_owner "$bindir/initdb" -D "$data" -U "$(as_owner id -un)" --auth-local=peer --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if running; then
    say "already running on 127.0.0.1:$port"
  else
    say "starting on 127.0.0.1:$port (log $log)"
    as_owner touch "$log" 2>/dev/null || { touch "$log"; chown postgres: "$log"; }
    as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$base' -c max_connections=200 -c fsync=off" start >/dev/null
  fi
  psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$user') THEN
    CREATE ROLE $user LOGIN PASSWORD '$password';
  ELSE
    ALTER ROLE $user LOGIN PASSWORD '$password';
  END IF;
END
\$\$;
SQL
  if [ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE $db OWNER $user"
  fi
  mkdir -p "$(dirname "$envfile")"
  echo "export COPYCAT_TEST_POSTGRES='$url'" >"$envfile"
  say "ready; environment written to $envfile"
  echo "export COPYCAT_TEST_POSTGRES='$url'"
}

down() {
  bindir=$(find_bindir) || { say "not installed"; return 0; }
  if running; then
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

status() {
  bindir=$(find_bindir) || { say "not installed"; return 1; }
  if running; then say "running on 127.0.0.1:$port"; else say "not running"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
