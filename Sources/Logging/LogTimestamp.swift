#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall-clock instant, UTC, as seconds and nanoseconds since the Unix epoch.
public struct LogTimestamp: Sendable, Hashable, Comparable {
    public var seconds: Int
    /// `0 ..< 1_000_000_000` once normalised by ``init(seconds:nanoseconds:)``.
    public var nanoseconds: Int

    /// Normalises `nanoseconds` into `0 ..< 1_000_000_000`, carrying into `seconds`.
    public init(seconds: Int, nanoseconds: Int = 0) {
        let (carry, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if rest < 0 {
            self.seconds = seconds + carry - 1
            self.nanoseconds = rest + 1_000_000_000
        } else {
            self.seconds = seconds + carry
            self.nanoseconds = rest
        }
    }

    /// The current time from `CLOCK_REALTIME`.
    public static func now() -> LogTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return LogTimestamp(seconds: Int(spec.tv_sec), nanoseconds: Int(spec.tv_nsec))
    }

    /// RFC 3339 / ISO 8601 in UTC with milliseconds (truncated): `2026-11-23T09:00:00.123Z`.
    public var iso8601: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        appendISO8601(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes ``iso8601`` into `bytes`: `gmtime_r` on the whole seconds (no locale, no time
    /// zone lookup, no Foundation), the digits written by hand. Years outside 0…9999 are written
    /// with as many digits as they need (and a minus sign before year 0).
    func appendISO8601(to bytes: inout [UInt8]) {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else {
            // Only for instants beyond `tm`'s range (years past 2^31): keep the line valid.
            bytes.append(contentsOf: "0000-01-01T00:00:00.000Z".utf8)
            return
        }
        let year = Int(parts.tm_year) + 1900
        if year >= 0 && year <= 9999 {
            appendDigits(year, width: 4, to: &bytes)
        } else {
            if year < 0 { bytes.append(UInt8(ascii: "-")) }
            JSONLineWriter.appendInteger(year.magnitude, to: &bytes)
        }
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mon) + 1, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mday), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(Int(parts.tm_hour), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_min), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_sec), width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        appendDigits(nanoseconds / 1_000_000, width: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    @inline(__always)
    private func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor &*= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    public static func < (lhs: LogTimestamp, rhs: LogTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

/// Where a ``Logger`` gets the time of a line: the system clock, or a fixed or scripted one
/// in tests.
public struct LogClock: Sendable {
    private let read: @Sendable () -> LogTimestamp

    public init(_ now: @escaping @Sendable () -> LogTimestamp) {
        self.read = now
    }

    public func now() -> LogTimestamp { read() }

    /// `CLOCK_REALTIME`.
    public static let system = LogClock { LogTimestamp.now() }

    /// Always `timestamp`.
    public static func fixed(_ timestamp: LogTimestamp) -> LogClock {
        LogClock { timestamp }
    }
}
