#!/usr/bin/env bash
# A throwaway S3 server on loopback for the storage tests: moto's server (PyPI), in memory.
#
#   scripts/s3-server.sh start     install moto if missing, start it, make the test bucket, print
#                                  the `export ...` lines (also kept in the env file)
#   scripts/s3-server.sh stop      stop the server and remove its files
#   scripts/s3-server.sh env       print the path of the env file (`. "$(... env)"` loads it)
#   scripts/s3-server.sh status    say what runs
#
#   eval "$(scripts/s3-server.sh start)" && .venv/bin/pytest tests/integration/storage
#
# The exports: FLIPSHELF_TEST_S3_URL (s3://bucket/prefix?endpoint=...&region=...), and the
# credentials FLIPSHELF_TEST_S3_ACCESS_KEY_ID / FLIPSHELF_TEST_S3_SECRET_ACCESS_KEY.
#
# State (pid, log, env file) lives in FLIPSHELF_S3_DIR, default `s3` inside FLIPSHELF_SERVICES_DIR
# when that is set (as scripts/test-services.sh sets it), else a directory under /tmp named after
# this checkout. moto lives in its own virtualenv, FLIPSHELF_S3_VENV (default under
# ~/.cache/flipshelf), so its many dependencies never mix with flipshelf's; it is made once per
# machine and shared by every checkout. Debian has no S3 server package (no minio), hence PyPI.
set -euo pipefail

MOTO_REQUIREMENT="moto[server]==5.2.5"
BUCKET="flipshelf-test"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKOUT_ID="$(printf '%s' "$ROOT" | md5sum | cut -c1-10)"
if [ -n "${FLIPSHELF_S3_DIR:-}" ]; then
  STATE="$FLIPSHELF_S3_DIR"
elif [ -n "${FLIPSHELF_SERVICES_DIR:-}" ]; then
  STATE="$FLIPSHELF_SERVICES_DIR/s3"
else
  STATE="/tmp/flipshelf-s3-$CHECKOUT_ID"
fi
VENV="${FLIPSHELF_S3_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/flipshelf/moto-5.2.5}"
ENV_FILE="$STATE/env"
PYTHON="${PYTHON:-python3}"

say() { printf 's3-server: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

make_venv() {
  "$PYTHON" -m venv "$1" && return 0
  # Debian splits venv/ensurepip into python3-venv.
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || return 1
  rm -rf "$1"
  say "installing python3-venv"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2
  "$PYTHON" -m venv "$1"
}

install_moto() {
  [ -x "$VENV/bin/moto_server" ] && return 0
  mkdir -p "$(dirname "$VENV")"
  # Two runs installing at once would trample one virtualenv: one installs, the other waits.
  exec 9>"$VENV.lock"
  flock 9
  if [ ! -x "$VENV/bin/moto_server" ]; then
    say "installing $MOTO_REQUIREMENT into $VENV (once per machine, about a minute)"
    rm -rf "$VENV"
    make_venv "$VENV" || die "cannot make a virtualenv with $PYTHON"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet \
      "$MOTO_REQUIREMENT" >"$VENV.install.log" 2>&1; then
      tail -n 20 "$VENV.install.log" >&2
      rm -rf "$VENV"
      die "pip install $MOTO_REQUIREMENT failed (log: $VENV.install.log)"
    fi
  fi
  flock -u 9
}

# Answers 0 once the server takes requests; then makes the bucket (moto takes unsigned calls).
wait_and_make_bucket() {
  "$PYTHON" - "$1" "$BUCKET" <<'PY'
import sys, time, urllib.error, urllib.request
port, bucket = sys.argv[1], sys.argv[2]
deadline = time.monotonic() + 30
while True:
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/{bucket}", method="PUT")
        urllib.request.urlopen(request, timeout=2).close()
        break
    except (urllib.error.URLError, ConnectionError, OSError):
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.2)
PY
}

start() {
  [ ! -f "$ENV_FILE" ] || die "already started in $STATE (run '$0 stop' first)"
  install_moto
  mkdir -p "$STATE"
  local port="" attempt pid
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # setsid: its own process group, so `stop` ends moto and nothing else.
    setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$STATE/server.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$STATE/pid"
    if wait_and_make_bucket "$port" && pid_alive "$pid"; then
      break
    fi
    say "moto did not start on port $port (attempt $attempt)"
    tail -n 5 "$STATE/server.log" >&2 || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    port=""
  done
  [ -n "$port" ] || die "moto would not start; see $STATE/server.log"
  {
    echo "# written by scripts/s3-server.sh; load with: . $ENV_FILE"
    echo "export FLIPSHELF_TEST_S3_URL='s3://$BUCKET/tests?endpoint=http://127.0.0.1:$port&region=us-east-1'"
    echo "export FLIPSHELF_TEST_S3_ACCESS_KEY_ID=testing"
    echo "export FLIPSHELF_TEST_S3_SECRET_ACCESS_KEY=testing"
  } >"$ENV_FILE"
  say "moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)') on 127.0.0.1:$port, bucket $BUCKET"
  grep '^export' "$ENV_FILE"
}

stop() {
  [ -d "$STATE" ] || return 0
  local pid
  pid="$(cat "$STATE/pid" 2>/dev/null || true)"
  if pid_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    say "moto stopped"
  fi
  rm -rf "$STATE"
}

status() {
  if [ -f "$ENV_FILE" ] && pid_alive "$(cat "$STATE/pid" 2>/dev/null || true)"; then
    say "running ($STATE):"
    grep '^export' "$ENV_FILE" >&2
  else
    say "not running ($STATE)"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) echo "$ENV_FILE" ;;
  status) status ;;
  *) echo "usage: $0 start|stop|env|status" >&2; exit 2 ;;
esac
