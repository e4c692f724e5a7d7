#!/usr/bin/env bash
# Property-based tests of Coffer's HTTP contracts, by a tool nobody here wrote: schemathesis (the
# version in scripts/schemathesis-requirements.txt) generates requests from each spec — the native
# docs/openapi.yaml and the dialects' docs/openapi/*.yaml — valid and invalid, single and chained
# through the spec's links, and runs every check it has on each answer (no 5xx, status, content
# type, headers and body as declared, invalid data refused, valid data accepted, auth enforced,
# deleted things gone, …).
#
# Usage: scripts/schemathesis.sh [PATH/TO/coffer]   (default .build/release/coffer)
# Environment: SCHEMATHESIS_EXAMPLES (per operation and phase, default 50), SCHEMATHESIS_SECONDS
# (hard limit per run, default 600), SCHEMATHESIS_SEED (replay a run; each run prints its seed).
#
# Starts `coffer serve --dev` on an ephemeral loopback port in a temporary directory and runs
# schemathesis once per spec and credential: the native API with the printed admin key (which is
# also the operator key) and with a tokenize-only key it makes, so the answers that depend on roles
# (403) are covered too; connectFi with a session of a login it makes. A dialect is one more block
# at the end: make its credential, then `run NAME SPEC HEADER…` (a per-request signature belongs in
# scripts/schemathesis_hooks.py). Stops the server by PID (it must exit 0 on SIGTERM) and exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-.build/release/coffer}
# The hooks are written against the pinned version.
version=$(sed -n 's/^schemathesis==//p' scripts/schemathesis-requirements.txt)
if ! schemathesis --version 2>/dev/null | grep -qxF "schemathesis, version $version"; then
  echo "schemathesis: needs schemathesis $version: pip install -r scripts/schemathesis-requirements.txt" >&2
  exit 1
fi
examples=${SCHEMATHESIS_EXAMPLES:-50}
seconds=${SCHEMATHESIS_SECONDS:-600}
work=$(mktemp -d "${TMPDIR:-/tmp}/coffer-schemathesis.XXXXXX")
server=

running() { jobs -rp | grep -qx "$1"; }
# SIGTERM, then the exit status; the server drains for at most 10 s (docs/http.md), so one still
# running after 30 s is killed, which is a failure too.
stop_server() {
  [ -n "$server" ] || return 0
  local pid=$server code=0
  server=
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do running "$pid" || break; sleep 0.1; done
  if running "$pid"; then
    echo "schemathesis: coffer serve still running 30 s after SIGTERM; killed" >&2
    kill -KILL "$pid"
  fi
  wait "$pid" || code=$?
  return "$code"
}
cleanup() {
  stop_server || true
  rm -rf "$work"
}
trap cleanup EXIT

"$binary" serve --dev --data-dir "$work/data" --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 300); do
  grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break
  running "$server" || { echo "schemathesis: coffer serve exited at start-up" >&2; tail -5 "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$base" ] || { echo "schemathesis: coffer serve did not start within 30 s" >&2; exit 1; }
admin_key=$(head -1 "$work/serve.out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["apiKey"])')
# POST a JSON body, with the admin key unless `--anonymous` comes first; prints the answer's field
# at a dotted path (`data.token`). Any refusal stops the script.
post() {
  local auth=(-H "Authorization: Bearer $admin_key")
  [ "$1" = --anonymous ] && { auth=(); shift; }
  curl -sf --max-time 10 -X POST "$base$1" "${auth[@]}" -H 'Content-Type: application/json' -d "$2" \
    | python3 -c "import functools, json, sys; print(functools.reduce(lambda v, k: v[k], '$3'.split('.'), json.load(sys.stdin)))"
}

# One run of every check over one spec, with the headers that authenticate its requests (schemathesis
# prints their values as [Filtered]). scripts/schemathesis.toml holds each spec's own settings, in a
# [[project]] named by the spec's title; the hooks apply to all.
failed=0
run() {
  local name=$1 spec=$2 headers=() header
  shift 2
  for header in "$@"; do headers+=(--header "$header"); done
  echo "schemathesis: $name: $spec (at most $examples examples per operation and phase, ${seconds} s)"
  timeout --kill-after=10 "$seconds" schemathesis --config-file scripts/schemathesis.toml run "$spec" \
    --url "$base" "${headers[@]}" --checks all --max-examples "$examples" \
    --workers 1 --request-timeout 10 --no-color ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} || failed=1
}

# Made before any run: the tool reads scripts/schemathesis.toml, which names COFFER_KEY_ID, at start.
tokenize_key=$(post /vault/v1/apikeys '{"roles":["tokenize"],"label":"schemathesis"}' apiKey)
# The card-data key the key operations are tried on (scripts/schemathesis.toml).
COFFER_KEY_ID=$(post /vault/v1/keys '{}' keyID)
export COFFER_KEY_ID

# Dialects first: the native runs below disable tenants and revoke keys (the admin run may revoke
# its own key, docs/reliability.md) and logins.
# connectFi (docs/api/connectfi.md): a login made through the native API (a drawn name: names are
# unique across tenants), and a session of it.
random_hex() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }
cfi_login='{"login":"st_'"$(random_hex)"'","password":"schemathesis-'"$(random_hex)"'"}'
post /vault/v1/connectfi/logins "$cfi_login" id >/dev/null
cfi_token=$(post --anonymous /auth/get-token "{\"user\":$cfi_login}" data.token)
run connectFi docs/openapi/connectfi.yaml "x-connectfi-token: $cfi_token"

# Native API: the admin key (also the operator key), then a tokenize-only key, so the answers that
# depend on roles (403) are checked too.
run "native API, admin key" docs/openapi.yaml "Authorization: Bearer $admin_key"
run "native API, tokenize-only key" docs/openapi.yaml "Authorization: Bearer $tokenize_key"

if ! stop_server; then
  echo "schemathesis: coffer serve did not exit 0 after SIGTERM" >&2
  failed=1
fi
if grep -q '"level":"\(error\|critical\)"' "$work/serve.log"; then
  echo "schemathesis: the server logged errors:" >&2
  grep '"level":"\(error\|critical\)"' "$work/serve.log" | head -20 >&2
  failed=1
fi
[ "$failed" = 0 ] && echo "schemathesis: no failures" || echo "schemathesis: FAILED" >&2
exit "$failed"
