#!/usr/bin/env bash
# HTTP throughput of `coffer serve` beside nginx's fixed 200, same machine, same run.
#   scripts/bench-http.sh [RUNS] [SECONDS]
# Each run: scripts/floors/floors.sh nginx (nginx, 1 worker, wrk -t1 -c64: GET and a ~300-byte POST),
# then a fresh release `coffer serve --dev` measured with the same wrk settings: tokenize (a new
# card per request, durable), reveal (1,000 stored tokens round robin, each reveal audited),
# metadata (the same tokens, GET: an authenticated read with no write) and healthz (GET /healthz:
# no authentication, no storage — the HTTP server's own cost, the floor under every route).
# Prints every figure and the median of each over the runs; for Coffer also the server's CPU time
# (user + system, from /proc) per answered request. Loopback only; every process it
# starts is stopped by PID.
#
# Environment:
#   SCRATCH=.build-perf          the build directory (`swift build --scratch-path`; default .build)
#   COFFER_BINS="base=/tmp/a new=/tmp/b"
#                                A/B: measure these prebuilt binaries instead of building, each in
#                                every run, the order rotated run to run; figures are named
#                                LABEL_tokenize_… and LABEL_reveal_…
#   NGINX=0                      skip the nginx ceiling
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; secs=${2:-10}
floors=${FLOORS:-scripts/floors/floors.sh}
scratch=${SCRATCH:-.build}
if [ -z "${COFFER_BINS:-}" ]; then
  swift build -c release --product coffer --scratch-path "$scratch" >/dev/null
  COFFER_BINS="coffer=$scratch/release/coffer"
fi
read -r -a bins <<<"$COFFER_BINS"
work=$(mktemp -d); results="$work/results"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }

wrk_figures() {  # name, then wrk arguments; with a server running, also its CPU time per request
  local name=$1; shift
  local before=0; [ -n "$server_pid" ] && before=$(cpu_ticks)
  wrk -t1 -c64 -d"${secs}s" --latency "$@" >"$work/wrk"
  local ticks=0; [ -n "$server_pid" ] && ticks=$(( $(cpu_ticks) - before ))
  awk -v n="$name" -v ticks="$ticks" -v hz="$(getconf CLK_TCK)" '
    /requests in/ { if (ticks > 0) print n "_server_cpu_us_per_req " int(ticks * 1e6 / hz / $1 * 10) / 10 }
    /Requests\/sec/ { print n "_req_per_s " $2 }
    /^ +50%/ { print n "_p50_ms " ($2 ~ /us$/ ? $2 / 1000 : ($2 ~ /ms$/ ? $2 + 0 : $2 * 1000)) }
    /^ +99%/ { print n "_p99_ms " ($2 ~ /us$/ ? $2 / 1000 : ($2 ~ /ms$/ ? $2 + 0 : $2 * 1000)) }
    /Non-2xx/ { print n "_non_2xx " $4 }' "$work/wrk"
}

measure() {  # label, binary
  local label=$1 binary=$2
  rm -rf "$work/data" "$work/out"
  "$binary" serve --dev --data-dir "$work/data" --listen 127.0.0.1:0 >"$work/out" 2>/dev/null &
  server_pid=$!
  for _ in $(seq 1 100); do grep -qs listening "$work/out" && break; sleep 0.1; done
  key=$(head -1 "$work/out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')
  url=$(grep listening "$work/out" | awk '{ print $3 }')
  auth=(-H "Authorization: Bearer $key" -H "Content-Type: application/json")
  python3 - "$url" "$key" >"$work/tokens" <<'PY'
import http.client, json, sys
host, port = sys.argv[1].split("//")[1].split(":")
connection = http.client.HTTPConnection(host, int(port))
for i in range(1000):
    body = "49" + str(i).zfill(13)
    total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if k % 2 == 0 else d for k, d in enumerate(int(c) for c in reversed(body)))
    number = body + str((10 - total % 10) % 10)
    connection.request("POST", "/vault/v1/cards", json.dumps({"number": number}), {"Authorization": "Bearer " + sys.argv[2]})
    print(json.loads(connection.getresponse().read())["token"])
PY
  wrk_figures "${label}_tokenize" "${auth[@]}" -s scripts/wrk/tokenize.lua "$url" | tee -a "$results"
  wrk_figures "${label}_reveal" "${auth[@]}" -s scripts/wrk/tokens.lua "$url" -- "$work/tokens" POST '/vault/v1/cards/{token}/reveal' | tee -a "$results"
  wrk_figures "${label}_metadata" "${auth[@]}" -s scripts/wrk/tokens.lua "$url" -- "$work/tokens" GET '/vault/v1/cards/{token}' | tee -a "$results"
  wrk_figures "${label}_healthz" "$url/healthz" | tee -a "$results"
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
}

for run in $(seq 1 "$runs"); do
  echo "# run $run" >&2
  if [ "${NGINX:-1}" != 0 ]; then bash "$floors" nginx "$secs" | tee -a "$results"; fi
  count=${#bins[@]}
  for i in $(seq 0 $((count - 1))); do
    entry=${bins[$(( (i + run - 1) % count ))]}
    measure "${entry%%=*}" "${entry#*=}"
  done
done

echo "# medians of $runs runs"
awk '{ v[$1] = v[$1] " " $2 } END { for (k in v) print k, v[k] }' "$results" | sort | while read -r name values; do
  echo "$name $(tr ' ' '\n' <<<"$values" | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
done
