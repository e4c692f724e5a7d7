#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Nanoseconds on CLOCK_MONOTONIC: never jumps with wall-clock changes. The event loops keep
/// their deadlines in this unit (a vDSO call, no allocation).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds: 0 for negative durations, capped at about 300 years.
    var clampedNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < 10_000_000_000 else { return 10_000_000_000 * 1_000_000_000 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
    }
}
