#!/usr/bin/env bash
# The throwaway servers the test suite runs against, on loopback only.
#
#   scripts/test-services.sh start    start every service, write their settings to the env file
#   scripts/test-services.sh stop     stop every service and remove all their files
#   scripts/test-services.sh env      print the path of the env file (`. "$(... env)"` loads it)
#   scripts/test-services.sh status   say what runs
#   scripts/test-services.sh stop-one NAME    stop one started service, keeping its port and files
#   scripts/test-services.sh start-one NAME   start it again on the same port (a real restart)
#
# stop-one/start-one are for outage tests (tests/outages/): they run on services started in a
# FLIPSHELF_SERVICES_DIR of their own, so stopping one never breaks another test. PostgreSQL
# keeps its data across the restart; Redis runs without persistence and moto keeps objects in
# memory, so after their restart they are empty (the bucket is made again): what a queue or
# store restart without its data looks like.
#
# State (data, logs, sockets, the env file) lives in FLIPSHELF_SERVICES_DIR, default a directory
# under /tmp named after this checkout; `make test` gives each run its own, so two runs at once
# never share a server. FLIPSHELF_TEST_SERVICES chooses the services (default: all of them,
# space-separated; empty: none, and the suite runs on SQLite alone).
#
# Every service is a pair of functions, NAME_start and NAME_stop: NAME_start installs what is
# missing, starts the server on 127.0.0.1 on a free port, waits until it answers and appends
# `export VAR=value` lines to the env file. Add Redis or Chromium the same way and list them in
# ALL_SERVICES.
#
#   postgres   PostgreSQL from Debian: FLIPSHELF_TEST_POSTGRES_URL
#   redis      Redis from Debian: FLIPSHELF_TEST_REDIS_URL
#   s3         moto's S3 server (scripts/s3-server.sh, when present): FLIPSHELF_TEST_S3_*
#   browser    Debian's Chromium and axe-core (scripts/install-browser.sh): no server to run
#
# Whatever the services, `start` also installs the CJK fallback font (scripts/install-fonts.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
S3_SCRIPT="$ROOT/scripts/s3-server.sh"
ALL_SERVICES="postgres redis"
if [ -f "$S3_SCRIPT" ]; then ALL_SERVICES="$ALL_SERVICES s3"; fi
BROWSER_SCRIPT="$ROOT/scripts/install-browser.sh"
if [ -f "$BROWSER_SCRIPT" ]; then ALL_SERVICES="$ALL_SERVICES browser"; fi
DEFAULT_DIR="/tmp/flipshelf-services-$(printf '%s' "$ROOT" | md5sum | cut -c1-10)"
STATE="${FLIPSHELF_SERVICES_DIR:-$DEFAULT_DIR}"
ENV_FILE="$STATE/env"
SERVICES="${FLIPSHELF_TEST_SERVICES-$ALL_SERVICES}"

say() { printf 'test-services: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- shared helpers -----------------------------------------------------------------------

free_port() {
  # The kernel picks a free port; it stays free in practice for the second it takes to reuse it,
  # and a start that loses the race is retried with another port.
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

apt_updated=""
apt_install() {
  [ "$(id -u)" -eq 0 ] || die "need root to install $* (or install it yourself)"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >&2
}

# Servers that refuse root (PostgreSQL) run as this user when we are root.
SERVICE_USER=postgres
as_service_user() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "$SERVICE_USER" -- "$@")
  else
    "$@"
  fi
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# --- PostgreSQL ----------------------------------------------------------------------------

pg_bindir() {
  # Debian keeps initdb and pg_ctl out of PATH, under /usr/lib/postgresql/VERSION/bin; take the
  # newest there, so initdb, pg_ctl and postgres always come from one version.
  local dir
  dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null \
    | sort -V | tail -n 1)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"
  elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
  fi
}

postgres_install() {
  # The server package would create and start a system-wide cluster on port 5432: install the
  # cluster manager first and tell it not to (as the official postgres images do), then the server.
  local conf=/etc/postgresql-common/createcluster.conf
  UCF_FORCE_CONFFOLD=1 apt_install postgresql-common
  if [ -f "$conf" ]; then
    sed -ri 's/^[#[:space:]]*create_main_cluster[[:space:]]*=.*$/create_main_cluster = false/' "$conf"
  fi
  grep -q '^create_main_cluster = false' "$conf" 2>/dev/null \
    || echo "create_main_cluster = false" >>"$conf"
  UCF_FORCE_CONFFOLD=1 apt_install postgresql
}

postgres_start() {
  local bin home data port attempt
  bin="$(pg_bindir)"
  if [ -z "$bin" ]; then
    postgres_install
    bin="$(pg_bindir)"
    [ -n "$bin" ] || die "PostgreSQL installed, yet no initdb/pg_ctl found"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  fi
  # $STATE/postgres belongs to the server's user: the cluster, its log and its socket.
  home="$STATE/postgres"
  data="$home/data"
  mkdir -p "$home"
  chmod 700 "$home"
  [ "$(id -u)" -ne 0 ] || chown "$SERVICE_USER" "$home"

  # UTF-8 character classes (C.UTF-8) so lower() folds non-ASCII letters, as on a real server.
  as_service_user "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 --no-sync >"$STATE/postgres-initdb.log" 2>&1 \
    || { cat "$STATE/postgres-initdb.log" >&2; die "initdb failed"; }

  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # Loopback only, trust auth (initdb above), a socket in our own directory, and no
    # durability: the cluster is thrown away after the run.
    if as_service_user "$bin/pg_ctl" -D "$data" -l "$home/server.log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$home' \
       -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      >/dev/null; then
      break
    fi
    say "PostgreSQL did not start on port $port (attempt $attempt)"
    tail -n 5 "$home/server.log" >&2 || true
    port=""
  done
  [ -n "$port" ] || die "PostgreSQL would not start; see $home/server.log"

  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 2>/dev/null \
    || as_service_user "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -Atqc 'SELECT 1' >/dev/null \
    || die "PostgreSQL started but does not answer on 127.0.0.1:$port"
    echo "export FLIPSHELF_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres" \
    >>"$ENV_FILE"
  say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

postgres_stop() {
  local data="$STATE/postgres/data" bin pid
  [ -f "$data/postmaster.pid" ] || return 0
  pid="$(head -n 1 "$data/postmaster.pid")"
  bin="$(pg_bindir)"
  if [ -n "$bin" ]; then
    as_service_user "$bin/pg_ctl" -D "$data" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
  fi
  if pid_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  say "PostgreSQL stopped"
}

# --- Redis ---------------------------------------------------------------------------------

redis_install() {
  # Debian's package starts a system-wide server on port 6379 when it is installed; a
  # policy-rc.d that answers 101 ("action forbidden") stops that, as in Debian's container images.
  local policy=/usr/sbin/policy-rc.d had_policy=""
  [ ! -e "$policy" ] || had_policy=1
  if [ -z "$had_policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
  fi
  apt_install redis-server || { [ -n "$had_policy" ] || rm -f "$policy"; return 1; }
  [ -n "$had_policy" ] || rm -f "$policy"
}

redis_start() {
  local home="$STATE/redis" port attempt
  command -v redis-server >/dev/null || redis_install
  command -v redis-server >/dev/null || die "redis-server installed, yet not on PATH"
  mkdir -p "$home"
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # Loopback only, nothing saved to disk: the server is thrown away after the run.
    if redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
      --daemonize yes --pidfile "$home/redis.pid" --dir "$home" --logfile "$home/server.log" \
      && redis_answers "$port"; then
      break
    fi
    say "Redis did not start on port $port (attempt $attempt)"
    tail -n 5 "$home/server.log" >&2 || true
    redis_stop
    port=""
  done
  [ -n "$port" ] || die "Redis would not start; see $home/server.log"
  echo "export FLIPSHELF_TEST_REDIS_URL=redis://127.0.0.1:$port/0" >>"$ENV_FILE"
  say "Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$port"
}

redis_answers() {
  local tries
  for tries in $(seq 1 50); do
    [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ] && return 0
    sleep 0.1
  done
  return 1
}

redis_stop() {
  local pidfile="$STATE/redis/redis.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    ! pid_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "Redis stopped"
}

# --- S3 (moto) -----------------------------------------------------------------------------

s3_start() {
  FLIPSHELF_S3_DIR="$STATE/s3" bash "$S3_SCRIPT" start >/dev/null
  grep '^export' "$STATE/s3/env" >>"$ENV_FILE"
}

s3_stop() {
  [ -d "$STATE/s3" ] || return 0
  FLIPSHELF_S3_DIR="$STATE/s3" bash "$S3_SCRIPT" stop
}

# --- browser (Chromium for Playwright, axe-core) -------------------------------------------

browser_start() {
  bash "$BROWSER_SCRIPT"
}

browser_stop() {
  return 0  # nothing runs between tests: each test starts and stops its own Chromium
}

# --- restarts (outage tests) ---------------------------------------------------------------

env_port() {
  # The port of a started service, from its line in the env file.
  local line
  line="$(grep "^export $1=" "$ENV_FILE" | tail -n 1)" || die "$1 not in $ENV_FILE"
  printf '%s' "$line" | sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p'
}

postgres_restart_start() {
  local bin port home="$STATE/postgres"
  bin="$(pg_bindir)"
  port="$(env_port FLIPSHELF_TEST_POSTGRES_URL)"
  as_service_user "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$home' \
     -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null || die "PostgreSQL did not start again on $port"
  say "PostgreSQL started again on 127.0.0.1:$port"
}

postgres_restart_stop() {
  local bin
  bin="$(pg_bindir)"
  as_service_user "$bin/pg_ctl" -D "$STATE/postgres/data" -m fast -w -t 30 stop >/dev/null
  say "PostgreSQL stopped (data kept)"
}

redis_restart_start() {
  local port home="$STATE/redis"
  port="$(env_port FLIPSHELF_TEST_REDIS_URL)"
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --daemonize yes --pidfile "$home/redis.pid" --dir "$home" --logfile "$home/server.log"
  redis_answers "$port" || die "Redis did not start again on $port"
  say "Redis started again on 127.0.0.1:$port"
}

redis_restart_stop() {
  redis_stop
}

s3_restart_start() {
  local port venv="${FLIPSHELF_S3_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/flipshelf/moto-5.2.5}"
  port="$(env_port FLIPSHELF_TEST_S3_URL)"
  setsid "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >>"$STATE/s3/server.log" 2>&1 </dev/null &
  echo $! >"$STATE/s3/pid"
  local tries
  for tries in $(seq 1 150); do
    if curl -sf -X PUT "http://127.0.0.1:$port/flipshelf-test" -o /dev/null; then
      say "moto started again on 127.0.0.1:$port (empty; bucket made)"
      return 0
    fi
    sleep 0.2
  done
  die "moto did not start again on $port"
}

s3_restart_stop() {
  local pid
  pid="$(cat "$STATE/s3/pid" 2>/dev/null || true)"
  pid_alive "$pid" || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
  ! pid_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
  say "moto stopped"
}

restart_part() {
  local action="$1" service="${2:-}"
  case "$service" in postgres | redis | s3) ;; *) die "$action-one: postgres, redis or s3" ;; esac
  [ -f "$ENV_FILE" ] || die "not started in $STATE"
  "${service}_restart_${action}"
}

# --- commands ------------------------------------------------------------------------------

is_known() {
  case " $ALL_SERVICES " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

start() {
  local service
  for service in $SERVICES; do is_known "$service" || die "unknown service '$service'"; done
  if [ -f "$ENV_FILE" ]; then
    die "services already started in $STATE (run '$0 stop' first)"
  fi
  mkdir -p "$STATE"
  chmod 755 "$STATE" # servers running as another user reach their own subdirectory
  echo "# written by scripts/test-services.sh; load with: . $ENV_FILE" >"$ENV_FILE"
  # Not a server, and needed whatever services are chosen: the CJK conversion test draws with it.
  bash "$ROOT/scripts/install-fonts.sh"
  for service in $SERVICES; do
    "${service}_start"
  done
  say "settings in $ENV_FILE"
}

stop() {
  local service
  [ -d "$STATE" ] || return 0
  # Every service, chosen or not: a stop must leave nothing behind whatever was started.
  for service in $ALL_SERVICES; do
    "${service}_stop" || say "stopping $service failed"
  done
  rm -rf "$STATE"
}

status() {
  if [ -f "$ENV_FILE" ]; then
    say "started in $STATE:"
    grep '^export' "$ENV_FILE" >&2 || say "(no services)"
  else
    say "not started ($STATE)"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "$ENV_FILE" ;;
  status) status ;;
  stop-one) restart_part stop "${2:-}" ;;
  start-one) restart_part start "${2:-}" ;;
  *) echo "usage: $0 start|stop|env|status|stop-one NAME|start-one NAME" >&2; exit 2 ;;
esac
