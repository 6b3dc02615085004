#!/usr/bin/env bash
# Runs a long set-up step so the person waiting sees it move: prints what it does, a line every
# PROGRESS_EVERY seconds (15) while it runs, and how long it took. Used by the Makefile for the
# first `make serve` / `make test`, whose installs can take minutes with no output of their own.
#
#   scripts/progress.sh "installing locked dependencies" -- uv sync --locked
set -euo pipefail

label="$1"
shift
[ "${1:-}" = "--" ] && shift
every="${PROGRESS_EVERY:-15}"
start=$SECONDS
echo "== $label ..."
"$@" &
child=$!
# On Ctrl-C or a kill, stop the step too (it runs in the background of this script).
trap 'kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 130' INT TERM
while kill -0 "$child" 2>/dev/null; do
  for _ in $(seq "$every"); do
    kill -0 "$child" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$child" 2>/dev/null; then
    echo "   ... still $label ($((SECONDS - start)) s)"
  fi
done
status=0
wait "$child" || status=$?
if [ "$status" -eq 0 ]; then
  echo "== done: $label ($((SECONDS - start)) s)"
else
  echo "== FAILED: $label (exit $status)" >&2
fi
exit "$status"
