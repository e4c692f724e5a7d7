#!/usr/bin/env bash
# In-process durable tokenize/reveal throughput, side by side with the raw SQLite floors, same run.
#   scripts/bench-core.sh [RUNS] [SECONDS]
# Each run: scripts/floors/floors.sh sqlite (raw libsqlite3 insert of a vault-shaped row, WAL,
# synchronous=FULL, 1 and 512 rows per commit), then coffer-bench core. Prints every run and the
# median of each figure. Bounded in time; starts no servers.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}; secs=${2:-5}
floors=${FLOORS:-scripts/floors/floors.sh}
swift build -c release --product coffer-bench >/dev/null
results=$(mktemp); trap 'rm -f "$results"' EXIT
for run in $(seq 1 "$runs"); do
  echo "# run $run" >&2
  if [ -x "$floors" ] || [ -f "$floors" ]; then bash "$floors" sqlite "$secs" | tee -a "$results"; fi
  .build/release/coffer-bench core --seconds "$secs" | tee -a "$results"
done
echo "# medians of $runs runs"
awk '{ v[$1] = v[$1] " " $2 } END { for (k in v) print k, v[k] }' "$results" | sort | while read -r name values; do
  median=$(tr ' ' '\n' <<<"$values" | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
  echo "$name $median"
done
