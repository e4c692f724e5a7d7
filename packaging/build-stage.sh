#!/usr/bin/env bash
# The build stage of packaging/Dockerfile, which runs exactly this script: builds a release
# `coffer` with the Swift standard library and Foundation linked in statically and installs it
# as OUT/coffer (default .build/package/coffer). Where no container runtime is available, CI runs
# it on the host (.ci/run), so the Dockerfile's build steps are exercised either way.
#
# Needs: a Swift 6 toolchain, libssl-dev, libsqlite3-dev, libpq-dev and pkg-config (installed if missing,
# when run as root, as in the swift image).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/package}"

packages=(libssl-dev libsqlite3-dev libpq-dev pkg-config binutils)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-stage: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A build directory of its own: the statically linked products must not replace the ones
# `swift build -c release` leaves in .build for the tests and scripts.
swift build -c release --static-swift-stdlib --scratch-path .build-static --product coffer
install -D -m 0755 "$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/coffer" "$out/coffer"

# The runtime stage installs OpenSSL, SQLite, libpq and the C/C++ runtime (libssl3, libsqlite3-0,
# libpq5, libstdc++6 beside libc): the binary may need nothing else directly, Swift's libraries
# least of all. (Direct needs only: apt brings libpq5's own dependencies with it.)
unexpected=$(readelf -d "$out/coffer" | awk '/\(NEEDED\)/ {gsub(/[][]/, "", $5); print $5}' \
  | grep -vE '^(ld-linux|libssl\.so|libcrypto\.so|libsqlite3\.so|libpq\.so|libstdc\+\+\.so|libgcc_s\.so|libm\.so|libc\.so)' || true)
if [ -n "$unexpected" ]; then
  echo "build-stage: $out/coffer links libraries the runtime stage lacks: $unexpected" >&2
  exit 1
fi
"$out/coffer" --version
