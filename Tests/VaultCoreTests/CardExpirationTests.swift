import Foundation
import Testing
import TestSupport
@testable import VaultCore

@Suite("ExpirationDate", .ownThreads)
struct CardExpirationTests {
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return calendar.date(from: components)!
    }

    @Test(arguments: [("203001", 2030, 1), ("202512", 2025, 12), ("199901", 1999, 1), ("000001", 0, 1)])
    func parses(_ text: String, _ year: Int, _ month: Int) throws {
        let date = try ExpirationDate(yyyymm: text)
        #expect(date.year == year)
        #expect(date.month == month)
        #expect(date.yyyymm == text)
        #expect(date == (try ExpirationDate(year: year, month: month)))
    }

    @Test(arguments: ["203000", "203013", "209999", "20301", "2030011", "", "2030-1", "30-01",
                      "abcdef", " 20301", "203001 ", "203001\n", "２０３００１", "+20301"])
    func rejectsBadFormat(_ text: String) {
        #expect(throws: CardError.invalidExpirationDate) { try ExpirationDate(yyyymm: text) }
    }

    @Test(arguments: [(2030, 0), (2030, 13), (-1, 1), (10_000, 1)])
    func rejectsBadParts(_ year: Int, _ month: Int) {
        #expect(throws: CardError.invalidExpirationDate) { try ExpirationDate(year: year, month: month) }
    }

    @Test func validThroughEndOfMonthUTC() throws {
        let june = try ExpirationDate(yyyymm: "202506")
        #expect(!june.isExpired(at: Self.utc(2025, 6, 1)))
        #expect(!june.isExpired(at: Self.utc(2025, 6, 15, 12)))
        #expect(!june.isExpired(at: Self.utc(2025, 6, 30, 23, 59, 59)))
        #expect(june.isExpired(at: Self.utc(2025, 7, 1)))
        #expect(june.isExpired(at: Self.utc(2026, 1, 1)))
        #expect(!june.isExpired(at: Self.utc(2024, 12, 31, 23, 59, 59)))
    }

    @Test func currentMonthIsValidLastMonthIsExpired() throws {
        let now = Self.utc(2025, 3, 10, 8)
        #expect(try ExpirationDate(yyyymm: "202503").validated(at: now) == ExpirationDate(yyyymm: "202503"))
        #expect(try ExpirationDate(yyyymm: "203001").validated(at: now).yyyymm == "203001")
        #expect(throws: CardError.expiredCard) { try ExpirationDate(yyyymm: "202502").validated(at: now) }
        #expect(throws: CardError.expiredCard) { try ExpirationDate(yyyymm: "202412").validated(at: now) }
    }

    @Test func januaryAndLeapYearBoundaries() throws {
        let december = try ExpirationDate(yyyymm: "202412")
        #expect(!december.isExpired(at: Self.utc(2024, 12, 31, 23, 59, 59)))
        #expect(december.isExpired(at: Self.utc(2025, 1, 1)))
        let february = try ExpirationDate(yyyymm: "202402")
        #expect(!february.isExpired(at: Self.utc(2024, 2, 29, 23, 59, 59)))
        #expect(february.isExpired(at: Self.utc(2024, 3, 1)))
        let old = try ExpirationDate(yyyymm: "196912")
        #expect(old.isExpired(at: Date(timeIntervalSince1970: 0)))
        #expect(!(try ExpirationDate(yyyymm: "197001")).isExpired(at: Date(timeIntervalSince1970: 0)))
        #expect(!old.isExpired(at: Date(timeIntervalSince1970: -1)))
    }

    @Test func agreesWithCalendarAcrossCenturies() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            // 1900 ... 2400
            let seconds = Double(Int64.random(in: -2_208_988_800...13_569_465_600, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            let parts = calendar.dateComponents([.year, .month], from: date)
            let current = try ExpirationDate(year: parts.year!, month: parts.month!)
            #expect(!current.isExpired(at: date))
            let previous = parts.month! == 1
                ? try ExpirationDate(year: parts.year! - 1, month: 12)
                : try ExpirationDate(year: parts.year!, month: parts.month! - 1)
            #expect(previous.isExpired(at: date))
        }
    }

    /// Found by the `card` fuzz target: a time a few denormals before 1970 was put in January
    /// 1970, as the Double division by 86,400 underflowed to -0. `Date` cannot hold such a time
    /// (it counts from 2001), so only the conversion itself is checked.
    @Test(arguments: [-Double.leastNonzeroMagnitude, -Double.leastNormalMagnitude / 1024, -Double.leastNormalMagnitude, -1e-9, -1, -86_400])
    func instantsBefore1970AreInDecember1969(_ seconds: Double) {
        let (year, month) = ExpirationDate.utcYearMonth(secondsSince1970: seconds)
        #expect(year == 1969 && month == 12)
    }

    @Test(arguments: [0, -0.0, Double.leastNonzeroMagnitude, 1e-9, 86_399.999])
    func instantsFrom1970AreInJanuary1970(_ seconds: Double) {
        let (year, month) = ExpirationDate.utcYearMonth(secondsSince1970: seconds)
        #expect(year == 1970 && month == 1)
    }

    @Test func extremeDates() throws {
        let date = try ExpirationDate(yyyymm: "999912")
        #expect(date.isExpired(at: Date(timeIntervalSince1970: .infinity)))
        #expect(date.isExpired(at: Date(timeIntervalSince1970: .nan)))
        #expect(date.isExpired(at: Date(timeIntervalSince1970: 1e300)))
        #expect(!date.isExpired(at: .distantFuture))
        #expect(!(try ExpirationDate(yyyymm: "000001")).isExpired(at: Date(timeIntervalSince1970: -.infinity)))
    }

    @Test func ordering() throws {
        let dates = try ["203001", "202512", "202601", "202412"].map { (text) throws(CardError) in
            try ExpirationDate(yyyymm: text)
        }
        #expect(dates.sorted().map(\.yyyymm) == ["202412", "202512", "202601", "203001"])
    }

    @Test func codableAsString() throws {
        let date = try ExpirationDate(yyyymm: "203001")
        let json = try JSONEncoder().encode([date])
        #expect(String(decoding: json, as: UTF8.self) == #"["203001"]"#)
        #expect(try JSONDecoder().decode([ExpirationDate].self, from: json) == [date])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ExpirationDate].self, from: Data(#"["203013"]"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ExpirationDate].self, from: Data("[203001]".utf8))
        }
    }
}
