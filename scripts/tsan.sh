#!/usr/bin/env bash
# ThreadSanitizer over the concurrency-heavy suites: the executors and the heavy-work pool, the
# store's writer and readers, the HTTP server's event loop, connections and handler threads, the
# rate limiter and failed-authentication buckets, the API-key (principal) cache, audit appends and
# idempotent replays. Builds in a scratch path of its own (.build-tsan), so the ordinary build is
# untouched. Any race report fails the run.
#
#   scripts/tsan.sh [extra swift test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."

suites=(
  'ExecutorsTests\.'
  'VaultStoreTests\.'
  'HTTPServerTests\.(Server|IdleReclaimTests|HalfCloseTests|HandlerThreadTests|RejectionReportTests)'
  'VaultCoreTests\.(RateLimiterTests|TokenBucketTests|FailedAuthenticationTests|AuditChainTests)'
  'CofferTests\.(HeavyWorkTests|APIKeyCacheTests|RateLimitAPITests|TokenizeAuditTests|FailedAuthenticationAPITests|IdempotencyTests)'
)
filter=$(IFS='|'; echo "${suites[*]}")

# halt_on_error: the first race fails the test process instead of scrolling past. The
# suppressions are false positives of system libraries, each with its reason.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan-suppressions.txt ${TSAN_OPTIONS:-}"
swift test --sanitize=thread --scratch-path .build-tsan --no-parallel --filter "$filter" "$@"
