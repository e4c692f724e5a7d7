#!/usr/bin/env bash
# Property-based tests of the native API against its contract, by a tool nobody here wrote:
# schemathesis (the version in scripts/schemathesis-requirements.txt) generates requests from
# docs/openapi.yaml — valid and invalid, single and chained through the spec's links — and runs
# every check it has on each answer (no 5xx, status, content type, headers and body as declared,
# invalid data refused, valid data accepted, auth enforced, deleted things gone, …).
#
# Usage: scripts/schemathesis.sh [PATH/TO/coffer]   (default .build/release/coffer)
# Environment: SCHEMATHESIS_EXAMPLES (per operation and phase, default 50), SCHEMATHESIS_SECONDS
# (hard limit per run, default 600), SCHEMATHESIS_SEED (replay a run; each run prints its seed).
#
# Starts `coffer serve --dev` on an ephemeral loopback port in a temporary directory and runs
# schemathesis twice: with the printed admin key (which is also the operator key), then with a
# tokenize-only key it makes, so the answers that depend on roles (403) are covered too. Stops the
# server by PID (it must exit 0 on SIGTERM) and exits non-zero on any failure.
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
# POST as the admin; prints the answer's `field`.
create() {
  curl -sf --max-time 10 -X POST "$base$1" -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' \
    -d "$2" | python3 -c "import json, sys; print(json.load(sys.stdin)['$3'])"
}
tokenize_key=$(create /vault/v1/apikeys '{"roles":["tokenize"],"label":"schemathesis"}' apiKey)
# The card-data key the key operations are tried on (scripts/schemathesis.toml).
COFFER_KEY_ID=$(create /vault/v1/keys '{}' keyID)
export COFFER_KEY_ID

# One run of every check with one key (schemathesis prints it as [Filtered]).
run() {
  local name=$1 key=$2
  echo "schemathesis: run with the $name key (at most $examples examples per operation and phase, ${seconds} s)"
  timeout --kill-after=10 "$seconds" schemathesis --config-file scripts/schemathesis.toml run docs/openapi.yaml \
    --url "$base" --header "Authorization: Bearer $key" --checks all --max-examples "$examples" \
    --workers 1 --request-timeout 10 --no-color ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"}
}

failed=0
run admin "$admin_key" || failed=1
run tokenize-only "$tokenize_key" || failed=1
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
