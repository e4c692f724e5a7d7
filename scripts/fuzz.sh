#!/usr/bin/env bash
# libFuzzer harnesses (Tests/Fuzz/Harnesses), built with swiftc -sanitize=fuzzer,address.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]   fuzz one target (SECONDS 0: no time limit,
#                                                         e.g. with -runs=10000000)
#   scripts/fuzz.sh all SECONDS [libFuzzer flags...]      every target in turn, SECONDS each
#   scripts/fuzz.sh repro TARGET FILE...                  run the harness once on saved inputs
#   scripts/fuzz.sh list                                  the targets
#
# Each module the harnesses need is compiled once into .build-fuzz/modules (rebuilt only when its
# sources or the flags change), and each harness is linked into .build-fuzz/bin/TARGET. Fuzzing
# reads the committed seeds in Tests/Fuzz/Corpus/TARGET and writes what it discovers to
# .build-fuzz/corpus/TARGET; a crashing input lands in .build-fuzz/crashes/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly build=.build-fuzz
readonly harnesses=Tests/Fuzz/Harnesses
readonly flags=(-O -g -swift-version 6 -package-name Coffer -enable-testing -sanitize=fuzzer,address -parse-as-library
                -I "$build/modules" -I Sources/COpenSSL)

# The modules each harness links (dependencies first), and what each module imports.
declare -A modules=(
  [http]="JSON Executors TLS HTTPServer"
  [json]="JSON"
  [base64url]="VaultCrypto"
  [jwt]="VaultCrypto JSON JSONWebToken"
  [card]="VaultCrypto Executors VaultCore"
  [tabapay]="JSON VaultCrypto Executors VaultCore TLS HTTPServer JSONWebToken Logging Metrics VaultAPI"
  [clientsync]="JSON VaultCrypto Executors VaultCore TLS HTTPServer JSONWebToken Logging Metrics VaultAPI"
  [intandem]="JSON VaultCrypto Executors VaultCore TLS HTTPServer JSONWebToken Logging Metrics VaultAPI"
  [cardinput]="JSON VaultCrypto Executors VaultCore TLS HTTPServer JSONWebToken Logging Metrics VaultAPI"
)
declare -A imports=([JSON]="" [VaultCrypto]="" [Logging]="" [Executors]="" [TLS]="" [HTTPServer]="JSON Executors TLS" [JSONWebToken]="VaultCrypto JSON"
                    [Metrics]="Logging" [VaultCore]="VaultCrypto Executors"
                    [VaultAPI]="JSON VaultCrypto Executors VaultCore TLS HTTPServer JSONWebToken Logging Metrics")
# Harness files besides Support.swift and TARGET.swift.
declare -A extra_sources=([tabapay]=Dialects.swift [clientsync]=Dialects.swift [intandem]=Dialects.swift
                          [cardinput]=Dialects.swift)
readonly all_targets=(http json base64url jwt card tabapay clientsync intandem cardinput)

usage() { sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# A hash of the flags, the compiler and the given files.
fingerprint() { { printf '%s\n' "${flags[*]}" "$(swiftc --version 2>&1)"; cat "$@"; } | sha256sum | cut -d' ' -f1; }

stamps_of() { local module; for module in "$@"; do echo "$build/modules/$module.stamp"; done; }

# Compiles Sources/MODULE into one object and its .swiftmodule, unless neither its sources nor
# the modules it imports changed (their stamps are part of its fingerprint).
build_module() {
  local module=$1 stamp="$build/modules/$1.stamp"
  local sources; sources=$(find "Sources/$module" -name '*.swift' | LC_ALL=C sort)
  local sum; sum=$(fingerprint $sources $(stamps_of ${imports[$module]}))
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return; fi
  echo "fuzz: compiling $module" >&2
  swiftc "${flags[@]}" -module-name "$module" -wmo -emit-module \
    -emit-module-path "$build/modules/$module.swiftmodule" -c -o "$build/modules/$module.o" $sources
  echo "$sum" > "$stamp"
}

build_target() {
  local target=$1 objects=() module
  [ -n "${modules[$target]:-}" ] || { echo "fuzz: unknown target '$target'" >&2; usage; }
  mkdir -p "$build/modules" "$build/bin"
  for module in ${modules[$target]}; do
    build_module "$module"
    objects+=("$build/modules/$module.o")
  done
  local sources=("$harnesses/Support.swift" "$harnesses/$target.swift")
  [ -z "${extra_sources[$target]:-}" ] || sources+=("$harnesses/${extra_sources[$target]}")
  local sum; sum=$(fingerprint "${sources[@]}" $(stamps_of ${modules[$target]}))
  if [ -x "$build/bin/$target" ] && [ "$(cat "$build/bin/$target.stamp" 2>/dev/null)" = "$sum" ]; then return; fi
  echo "fuzz: linking $target" >&2
  swiftc "${flags[@]}" -use-ld=lld -module-name "Fuzz_$target" "${sources[@]}" "${objects[@]}" -lssl -lcrypto \
    -o "$build/bin/$target"
  echo "$sum" > "$build/bin/$target.stamp"
}

# Swift's in-process crash backtracer reads memory that ASan then reports as a second error
# after the real one; libFuzzer prints the crash's stack itself.
export SWIFT_BACKTRACE=enable=no

# Runs one target. Its whole log goes to .build-fuzz/logs/TARGET.log (shown as it runs on a
# terminal); otherwise only the closing statistics are printed, and the log's tail on a failure.
# LeakSanitizer stays on: a leak found while fuzzing is a finding too.
fuzz_target() {
  local target=$1 seconds=$2; shift 2
  build_target "$target"
  mkdir -p "$build/corpus/$target" "$build/crashes" "$build/logs"
  local limit=() log="$build/logs/$target.log" status=0
  [ "$seconds" = 0 ] || limit=(-max_total_time="$seconds")
  echo "fuzz: $target${limit:+ for $seconds s}" >&2
  local command=("$build/bin/$target" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$build/crashes/$target-"
                 "$@" "$build/corpus/$target" "Tests/Fuzz/Corpus/$target")
  if [ -t 2 ]; then
    "${command[@]}" 2>&1 | tee "$log" >&2 || status=$?
  else
    "${command[@]}" > "$log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::|^Done ' "$log" >&2 || true
  fi
  if [ "$status" != 0 ]; then
    [ -t 2 ] || tail -n 60 "$log" >&2
    echo "fuzz: $target FAILED (log: $log, inputs: $build/crashes/$target-*)" >&2
    return 1
  fi
}

[ $# -ge 1 ] || usage
case $1 in
  list) printf '%s\n' "${all_targets[@]}" ;;
  repro)
    [ $# -ge 3 ] || usage
    build_target "$2"
    exec "$build/bin/$2" "${@:3}" ;;
  all)
    [ $# -ge 2 ] || usage
    seconds=$2; shift 2
    for target in "${all_targets[@]}"; do fuzz_target "$target" "$seconds" "$@"; done ;;
  *)
    [ $# -ge 2 ] || usage
    target=$1 seconds=$2; shift 2
    fuzz_target "$target" "$seconds" "$@" ;;
esac
