#!/usr/bin/env bash
# Signs and sends one v1 call with curl, the way docs/api.md describes it.
#
#   FLIPSHELF_URL=http://127.0.0.1:8000 FLIPSHELF_API_KEY=... FLIPSHELF_SECRET=... \
#     scripts/v1-call.sh collection.getList orderBy=title format=xml
#
# With FLIPSHELF_SIGN_ONLY=1 it prints the signature and sends nothing.
#
# The signature is the MD5 (lowercase hex) of the secret followed by every parameter but
# `signature`, sorted by name in code-point order, each written as name then value. Values are
# signed as they are (decoded) and sent URL-encoded.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 ACTION [name=value ...]" >&2; exit 2; }
: "${FLIPSHELF_API_KEY:?set FLIPSHELF_API_KEY}" "${FLIPSHELF_SECRET:?set FLIPSHELF_SECRET}"
url="${FLIPSHELF_URL:-http://127.0.0.1:8000}"
action="$1"
shift

params=("action=$action" "apiKey=$FLIPSHELF_API_KEY" "$@")
# Byte order of UTF-8 is code-point order; names are unique, so sorting whole lines sorts names.
signed="$FLIPSHELF_SECRET"
while IFS= read -r pair; do
  signed+="${pair%%=*}${pair#*=}"
done < <(printf '%s\n' "${params[@]}" | LC_ALL=C sort -t '=' -k 1,1)
signature="$(printf '%s' "$signed" | md5sum | cut -d ' ' -f 1)"
if [ -n "${FLIPSHELF_SIGN_ONLY:-}" ]; then
  echo "$signature"
  exit 0
fi

args=()
for pair in "${params[@]}" "signature=$signature"; do
  args+=(--data-urlencode "$pair")
done
curl --silent --show-error --get "$url/v1/" "${args[@]}"
echo
