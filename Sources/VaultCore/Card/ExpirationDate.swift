import Foundation

/// A card's expiration month, in the `YYYYMM` form used by TabaPay and the packed card data.
///
/// Parsing checks the format only, so a stored card's date can always be read back; whether a
/// card may be used is asked separately with `isExpired(at:)` or `validated(at:)`, against a
/// clock the caller passes in. Encodes as the `YYYYMM` string.
public struct ExpirationDate: Sendable, Hashable, Comparable {
    /// Four-digit year, 0–9999.
    public let year: Int
    /// Month, 1–12.
    public let month: Int

    /// Parses exactly six ASCII digits `YYYYMM` with a month from 01 to 12.
    public init(yyyymm: String) throws(CardError) {
        try self.init(ascii: yyyymm.utf8)
    }

    /// Creates a date from its parts: a year 0–9999 (so it has a `YYYYMM` form) and a month 1–12.
    public init(year: Int, month: Int) throws(CardError) {
        guard (0...9999).contains(year), (1...12).contains(month) else {
            throw .invalidExpirationDate
        }
        self.year = year
        self.month = month
    }

    init<Bytes: Collection<UInt8>>(ascii bytes: Bytes) throws(CardError) {
        guard bytes.count == 6 else { throw .invalidExpirationDate }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { throw .invalidExpirationDate }
            value = value * 10 + Int(byte - 0x30)
        }
        try self.init(year: value / 100, month: value % 100)
    }

    /// The `YYYYMM` form, e.g. `203001`.
    public var yyyymm: String {
        let value = year * 100 + month
        var bytes = [UInt8](repeating: 0x30, count: 6)
        var rest = value
        for index in stride(from: 5, through: 0, by: -1) {
            bytes[index] = 0x30 + UInt8(rest % 10)
            rest /= 10
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the card has expired at `date`. A card is valid through the last day of its
    /// month in UTC, so it expires at 00:00 UTC on the first day of the following month.
    public func isExpired(at date: Date) -> Bool {
        let seconds = date.timeIntervalSince1970
        // NaN and +∞ count as "expired" (fail closed); -∞ precedes every card.
        guard seconds.isFinite else { return !(seconds < 0) }
        let now = Self.utcYearMonth(secondsSince1970: seconds)
        return (year, month) < now
    }

    /// Returns `self` if the card is not expired at `date`, or throws `.expiredCard`.
    public func validated(at date: Date) throws(CardError) -> ExpirationDate {
        guard !isExpired(at: date) else { throw .expiredCard }
        return self
    }

    public static func < (lhs: ExpirationDate, rhs: ExpirationDate) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }

    /// The UTC (year, month) of a Unix time, without `Calendar` (this runs per request).
    /// Howard Hinnant's `civil_from_days` for the proleptic Gregorian calendar.
    static func utcYearMonth(secondsSince1970 seconds: Double) -> (year: Int, month: Int) {
        // ±1e13 s is about ±317,000 years: far beyond 0–9999 and safe for Int arithmetic.
        let clamped = min(max(seconds, -1e13), 1e13)
        // Whole seconds first, then an integer floor division: dividing the Double by 86,400
        // underflows to -0 for the tiniest negative times, which would put them in 1970.
        let wholeSeconds = Int(clamped.rounded(.down))
        let days = (wholeSeconds >= 0 ? wholeSeconds : wholeSeconds - 86_399) / 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month)
    }
}

extension ExpirationDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            try self.init(yyyymm: string)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: CardError.invalidExpirationDate.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(yyyymm)
    }
}

extension ExpirationDate: CustomStringConvertible {
    /// The `YYYYMM` form.
    public var description: String { yyyymm }
}
