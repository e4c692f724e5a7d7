#!/usr/bin/env bash
# Coffer on PostgreSQL with one and two nodes, beside pgbench and the SQLite engine, same run.
#   scripts/bench-postgresql.sh [RUNS] [SECONDS]
# Starts its own throw-away PostgreSQL cluster in a temporary directory (fsync and
# synchronous_commit ON, the defaults; reached over a Unix socket there, no TCP port) and, each run:
#   1. pgbench: 64 clients insert one vault-shaped row per transaction (22-char token, tenant,
#      60-byte ciphertext, 32-byte fingerprint, key version, time) into a table of their own;
#   2. one release `coffer serve --database` on a fresh database: tokenize (a new card per
#      request), then reveal (1,000 stored tokens round robin, each reveal audited);
#   3. two nodes on one fresh database, each driven by its own wrk (32 connections each): the
#      same two figures, summed;
#   4. `coffer serve --dev` (SQLite) in a fresh data directory, the same two figures.
# With BASELINE_BIN set, steps 2 and 3 also run with that binary (an older build, labelled
# `baseline_…`), on fresh databases, in the same run: a change compared side by side.
# wrk -t1 -c64 (-c32 per node with two nodes), keep-alive, loopback only. Prints every figure and
# the median of each over the runs. Every process it starts is stopped by PID, the cluster with it.
#
# Environment:
#   SCRATCH=.build-perf    the build directory (`swift build --scratch-path`; default .build)
#   COFFER_BIN=PATH        measure this prebuilt binary instead of building
#   BASELINE_BIN=PATH      also measure this binary on PostgreSQL (steps 2 and 3)
#   PG_BIN=DIR             PostgreSQL's programs (default: the newest /usr/lib/postgresql/*/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; secs=${2:-5}
scratch=${SCRATCH:-.build}
if [ -z "${COFFER_BIN:-}" ]; then
  swift build -c release --product coffer --scratch-path "$scratch" >/dev/null
  COFFER_BIN="$scratch/release/coffer"
fi
pg=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
work=$(mktemp -d /tmp/coffer-bench-pg-XXXXXX); chmod 755 "$work"; results="$work/results"
pids=(); pg_pid=""
as_owner=(); [ "$(id -u)" = 0 ] && as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$pg_pid" ]; then kill -INT "$pg_pid" 2>/dev/null || true; while kill -0 "$pg_pid" 2>/dev/null; do sleep 0.2; done; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The cluster: its own user coffer, trust over the socket in $work only.
mkdir "$work/pg"; [ "$(id -u)" = 0 ] && chown postgres "$work/pg"
"${as_owner[@]}" "$pg/initdb" -D "$work/pg/data" -U coffer -A trust -E UTF8 --locale=C >/dev/null
"${as_owner[@]}" "$pg/postgres" -D "$work/pg/data" -k "$work/pg" -c listen_addresses= -c max_connections=200 \
  -c shared_buffers=128MB >"$work/pg/log" 2>&1 &
pg_pid=$!
until "$pg/pg_isready" -q -h "$work/pg" -U coffer; do kill -0 "$pg_pid" || { cat "$work/pg/log"; exit 1; }; sleep 0.2; done
psql() { "$pg/psql" -X -q -h "$work/pg" -U coffer -v ON_ERROR_STOP=1 "$@"; }
uri() { echo "postgresql://coffer@/$1?host=$work/pg"; }

# pgbench's vault-shaped insert: one row like a card (token, tenant, 60-byte ciphertext, 32-byte fingerprint).
cat >"$work/insert.sql" <<'SQL'
INSERT INTO bench_cards (token, tenant_id, ciphertext, fingerprint, key_version, created_at)
VALUES (substr(md5(random()::text) || md5(random()::text), 1, 22), 'Vt3RkH1W0gqgQ1rC9mJ0aQ',
        decode(substr(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 1, 120), 'hex'),
        decode(md5(random()::text) || md5(random()::text), 'hex'), 1, now());
SQL

start_node() {  # output file, then serve arguments; sets node_url
  local out=$1; shift
  rm -f "$out"  # or the wait below may read the previous node's line before this one truncates it
  "${bin:-$COFFER_BIN}" serve --listen 127.0.0.1:0 "$@" >"$out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 600); do grep -qs listening "$out" && break; sleep 0.1; done
  node_url=$(grep listening "$out" | awk '{ print $3 }')
}

stop_nodes() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}

make_tokens() {  # url, key -> $work/tokens
  python3 - "$1" "$2" >"$work/tokens" <<'PY'
import http.client, json, sys
host, port = sys.argv[1].split("//")[1].split(":")
connection = http.client.HTTPConnection(host, int(port))
for i in range(1000):
    body = "49" + str(i).zfill(13)
    total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if k % 2 == 0 else d for k, d in enumerate(int(c) for c in reversed(body)))
    connection.request("POST", "/vault/v1/cards", json.dumps({"number": body + str((10 - total % 10) % 10)}),
                       {"Authorization": "Bearer " + sys.argv[2]})
    print(json.loads(connection.getresponse().read())["token"])
PY
}

wrk_rate() {  # wrk arguments -> requests per second and non-2xx answers
  local out="$work/wrk.$BASHPID"
  wrk -t1 -d"${secs}s" "$@" >"$out" 2>&1 || true
  awk '/Requests\/sec/ { rate = $2 } /Non-2xx/ { bad = $5 } END { print rate + 0, bad + 0 }' "$out"
  rm -f "$out"
}

drive() {  # phase name, then wrk arguments after the URL; one wrk per node at once, rates summed
  local phase=$1; shift
  local jobs=()
  for i in "${!urls[@]}"; do
    wrk_rate -c"$connections" "${auth[@]}" "${urls[$i]}" "$@" "$i" >"$work/rate$i" &
    jobs+=($!)
  done
  for job in "${jobs[@]}"; do wait "$job"; done
  cat "$work"/rate* | awk -v name="${label}_${phase}" '{ s += $1; bad += $2 } END { print name "_req_per_s " s; print name "_non_2xx " bad }' \
    | tee -a "$results"
  rm -f "$work"/rate*
}

measure_nodes() {  # label, node count, then the location arguments of every node
  label=$1; local count=$2; shift 2
  urls=()
  for i in $(seq 1 "$count"); do start_node "$work/node$i" "$@"; urls+=("$node_url"); done
  auth=(-H "Authorization: Bearer $api_key" -H "Content-Type: application/json")
  connections=$((64 / count))
  drive tokenize -s scripts/wrk/tokenize.lua --
  make_tokens "${urls[0]}" "$api_key"
  drive reveal -s scripts/wrk/tokens.lua -- "$work/tokens" POST '/vault/v1/cards/{token}/reveal'
  for url in "${urls[@]}"; do curl -s -H "Authorization: Bearer $api_key" "$url/metrics"; done \
    | awk -v name="$label" '/^coffer_store_write_jobs_total/ { jobs += $2 } /^coffer_store_write_batches_total/ { batches += $2 }
        /^coffer_store_write_lost_races_total/ { races += $2; counted = 1 }
        END { if (batches) print name "_writes_per_commit " jobs / batches; if (counted) print name "_lost_races " races }' \
    | tee -a "$results"
  stop_nodes
}

declare -A binaries=([postgresql]="$COFFER_BIN")
[ -n "${BASELINE_BIN:-}" ] && binaries[baseline_postgresql]=$BASELINE_BIN

for run in $(seq 1 "$runs"); do
  echo "# run $run" >&2
  psql -d postgres -c "DROP DATABASE IF EXISTS bench_pgbench" -c "CREATE DATABASE bench_pgbench"
  psql -d bench_pgbench -c "CREATE TABLE bench_cards (id bigserial PRIMARY KEY, token text NOT NULL UNIQUE, tenant_id text NOT NULL,
      ciphertext bytea NOT NULL, fingerprint bytea NOT NULL, key_version integer NOT NULL, created_at timestamptz NOT NULL);
    CREATE INDEX ON bench_cards (tenant_id, fingerprint)"
  "$pg/pgbench" -h "$work/pg" -U coffer -n -c 64 -j 2 -T "$secs" -f "$work/insert.sql" bench_pgbench 2>/dev/null \
    | awk '/^tps/ { print "pgbench_insert_tps " int($3) }' | tee -a "$results"

  # With a baseline, the two binaries take turns going first, so drift on a shared machine
  # weighs on both alike.
  order=sort; [ $((run % 2)) = 0 ] && order="sort -r"
  names=($(printf '%s\n' "${!binaries[@]}" | $order))
  for nodes in 1 2; do
    for name in "${names[@]}"; do
      bin=${binaries[$name]}
      db="bench_${run}_${nodes}_${name}"
      psql -d postgres -c "CREATE DATABASE $db"
      location=(--database "$(uri "$db")" --master-key-file "$work/master.key")
      rm -f "$work/master.key"
      api_key=$("$bin" init "${location[@]}" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')
      measure_nodes "${name}_${nodes}node" "$nodes" "${location[@]}"
    done
  done
  bin=$COFFER_BIN

  rm -rf "$work/data"
  start_node "$work/sqlite" --dev --data-dir "$work/data"
  api_key=$(head -1 "$work/sqlite" | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')
  stop_nodes
  measure_nodes sqlite 1 --data-dir "$work/data"
done

echo "# medians of $runs runs, ${secs} s each"
sort "$results" | awk '
  $1 != name { if (name) report(); name = $1; n = 0 }
  { values[++n] = $2 }
  END { report() }
  function report(   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (values[j] < values[i]) { t = values[i]; values[i] = values[j]; values[j] = t }
    print name, (n % 2 ? values[(n + 1) / 2] : (values[n / 2] + values[n / 2 + 1]) / 2)
  }'
