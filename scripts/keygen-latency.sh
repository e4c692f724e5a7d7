#!/usr/bin/env bash
# How long requests wait while key generations are under way (docs/performance.md).
#   scripts/keygen-latency.sh [COFFER_BINARY] [GENERATIONS]
# Starts `coffer serve --dev` on a free loopback port in a temporary directory, stores a card, sends
# GENERATIONS (default 32) concurrent `POST /vault/v1/keys`, and 0.3 s later times ten `/healthz`
# and ten metadata reads in turn with curl. Prints the times in seconds. The server is stopped
# by PID and the directory removed.
set -euo pipefail
bin=${1:-.build/release/coffer}; generations=${2:-32}
dir=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

"$bin" serve --dev --data-dir "$dir/data" --listen 127.0.0.1:0 >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 200); do grep -qs '^listening on ' "$dir/out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$dir/out")
key=$(grep -oE 'ck_[A-Za-z0-9_-]+' "$dir/out" | head -1)
auth=(-H "Authorization: Bearer $key")
token=$(curl -s -X POST "$url/vault/v1/cards" "${auth[@]}" -d '{"number":"4111111111111111"}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

generators=()
for _ in $(seq "$generations"); do
  curl -s -o /dev/null -X POST "$url/vault/v1/keys" "${auth[@]}" -d '{}' &
  generators+=($!)
done
sleep 0.3
health=(); metadata=()
for _ in $(seq 10); do
  health+=("$(curl -s -o /dev/null -w '%{time_total}' "$url/healthz")")
  metadata+=("$(curl -s -o /dev/null -w '%{time_total}' "$url/vault/v1/cards/$token" "${auth[@]}")")
done
echo "healthz_seconds ${health[*]}"
echo "metadata_seconds ${metadata[*]}"
wait "${generators[@]}" || true
