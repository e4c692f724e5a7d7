import Foundation

/// Timestamps are stored as Int64 milliseconds since 1970 (UTC).
enum SQLiteTime {
    /// Rounded to the nearest millisecond, so a date read back from the store converts to the same value.
    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite else { return value < 0 ? Int64.min : Int64.max }
        return Int64(max(min(value, Double(Int64.max / 2)), Double(Int64.min / 2)))
    }

    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
