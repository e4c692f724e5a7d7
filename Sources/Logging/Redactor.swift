/// The last guard between a formatted line and the outside world: it removes anything that
/// looks like a card number (PAN).
///
/// Digits are read in *groups* (maximal sequences of ASCII digits `0`–`9`). Two groups are
/// *joined* by exactly one separator byte between them. Two rules mark stretches to replace, and
/// every stretch either rule marks is replaced by ``replacement`` (overlapping stretches become one):
///
/// 1. **Digit runs.** Groups joined by single spaces or dashes, the usual ways of writing a PAN
///    (`4111111111111111`, `4111 1111 1111 1111`, `4111-1111-1111-1111`), holding **12 or more
///    digits in total**, are replaced whatever the digits are. There is no upper bound: a PAN
///    glued to other digits (a packed record, two numbers side by side) is still a PAN.
/// 2. **Separated card numbers.** Consecutive groups joined by single spaces, dashes, dots,
///    slashes or underscores (`4111.1111.1111.1111`, `4111/1111/1111/1111`,
///    `3782_822463_10005`), where the first group has at least 4 digits and every other at least
///    3, holding **12–19 digits that pass the Luhn check**, are replaced too. These separators
///    also join version numbers, IP addresses and decimals, so this rule asks for the shape of a
///    written PAN: an IPv4 address (groups of at most 3), a version `1.2.3`, a dotted date
///    `2026.11.23` or a decimal `0.125` never matches, and a Luhn-invalid number survives.
///
/// What is *not* joined, and so keeps the digits visible: groups separated by any other byte
/// (`:` `T` `,` `"` letters, …) or by two or more separators (`4111  1111`, `4111 - 1111`); a
/// separator that does not sit between two digits (`-123` keeps its minus sign).
///
/// So an ISO-8601 timestamp `2026-11-23T09:00:00.123Z` is untouched (its longest run,
/// `2026-11-23`, holds 8 digits), and so are `2026-11-23 09:00:00` (10), an 11-digit number and a
/// UUID whose groups mix in hex letters. The price of rule 1 is a few false positives — epoch
/// milliseconds (13 digits), byte counts ≥ 100 GB, international phone numbers, a UUID whose last
/// group is all digits — which is the right side to err on: log those as ISO dates or scaled units.
///
/// A replaced stretch that starts with the hex digits of a JSON `\uXXXX` escape is widened to
/// cover the `\u`, so that a redacted JSON line stays valid JSON.
///
/// The scan is a single pass over UTF-8 bytes (eight at a time up to the next digit), with no
/// regular expression and no allocation when nothing matches; only a stretch of 12 or more digits
/// joined by a dot, slash or underscore is looked at a second time, for rule 2. Non-ASCII digits
/// (fullwidth `４`, …) are not recognised.
public enum Redactor {
    /// What a redacted run becomes. Contains no quote, backslash or digit, so it is safe inside
    /// a JSON string, a Prometheus label value, and cannot itself start a new run.
    public static let replacement = "[REDACTED]"

    /// Runs with at least this many digits are redacted (rule 1); so are separated card numbers
    /// of this many to ``maximumSeparatedDigits`` (rule 2).
    public static let minimumDigits = 12

    /// The longest card number rule 2 looks for.
    public static let maximumSeparatedDigits = 19

    /// `text` with every stretch the type's two rules mark replaced by ``replacement``. Returns
    /// `text` itself, without copying, when nothing matches.
    public static func redact(_ text: String) -> String {
        var text = text
        let redacted: [UInt8]? = text.withUTF8 { redact(bytes: $0) }
        guard let redacted else { return text }
        return String(decoding: redacted, as: UTF8.self)
    }

    /// Whether `text` holds anything ``redact(_:)`` would replace.
    public static func containsDigitRun(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { firstRun(in: $0, from: 0) != nil }
    }

    /// `bytes` with every run replaced, or `nil` when nothing matches (the caller keeps its
    /// buffer and nothing is copied).
    public static func redact(bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard var run = firstRun(in: bytes, from: 0) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var copiedUpTo = 0
        while true {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo..<run.lowerBound]))
            output.append(contentsOf: replacementBytes)
            copiedUpTo = run.upperBound
            guard let next = firstRun(in: bytes, from: copiedUpTo) else { break }
            run = next
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo...]))
        return output
    }

    /// Redacts `bytes` in place (reallocating only when something matches).
    public static func redact(bytes: inout [UInt8]) {
        let redacted = bytes.withUnsafeBufferPointer { redact(bytes: $0) }
        if let redacted { bytes = redacted }
    }

    static let replacementBytes: [UInt8] = Array(replacement.utf8)

    /// The byte range of the first stretch to replace that starts at or after `start`, where
    /// `start` is 0 or the end of the stretch found before. Every byte is looked at once, except
    /// in the rare runs that need rule 2: a run that cannot be redacted is skipped as a whole.
    @inline(__always)
    static func firstRun(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Range<Int>? {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return nil }
        var index = start
        while index < count {
            // Go to the next digit eight bytes at a time: past a word without digits (most of a
            // log line), else straight to its first digit.
            if index &+ 8 <= count {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                let digits = digitBytes(word)
                guard digits != 0 else {
                    index &+= 8
                    continue
                }
                index &+= digits.trailingZeroBitCount >> 3
            } else if !isDigit(bytes[index]) {
                index += 1
                continue
            }
            // Take the groups joined by any separator; the run always ends on a digit.
            let runStart = index
            var digits = 0
            var joinedByPunctuation = false
            while true {
                while index < count, isDigit(bytes[index]) {
                    digits += 1
                    index += 1
                }
                // `index` is on the first non-digit (or the end). Join across one separator
                // only when a digit follows it.
                guard index + 1 < count, isDigit(bytes[index + 1]) else { break }
                if isDotSlashOrUnderscore(bytes[index]) {
                    joinedByPunctuation = true
                } else if !isSpaceOrDash(bytes[index]) {
                    break
                }
                index += 1
            }
            guard digits >= minimumDigits else { continue }
            // Without a dot, slash or underscore the whole run is one rule-1 run.
            let found = joinedByPunctuation ? firstStretch(in: bytes, run: runStart..<index) : runStart..<index
            if let found {
                let widen = found.lowerBound >= 2 && endsJSONUnicodeEscapePrefix(bytes, at: found.lowerBound)
                return (widen ? found.lowerBound - 2 : found.lowerBound)..<found.upperBound
            }
            // Nothing to replace in the run: `index` is past it.
        }
        return nil
    }

    /// The first stretch the two rules mark inside `run` (groups joined by single separators of
    /// any kind), merged with every marked stretch that overlaps it; `nil` when none is marked.
    static func firstStretch(in bytes: UnsafeBufferPointer<UInt8>, run: Range<Int>) -> Range<Int>? {
        var marked: Range<Int>?
        var spaceOrDashRunEnd = run.lowerBound
        var group = run.lowerBound
        while group < run.upperBound {
            if let marked, group > marked.upperBound { return marked }
            var end = separatedNumberEnd(in: bytes, from: group, before: run.upperBound) ?? group
            if group >= spaceOrDashRunEnd {  // a rule-1 run starts at this group
                let (runEnd, digits) = spaceOrDashRun(in: bytes, from: group, before: run.upperBound)
                spaceOrDashRunEnd = runEnd
                if digits >= minimumDigits { end = max(end, runEnd) }
            }
            if end > group {
                marked = (marked?.lowerBound ?? group)..<max(marked?.upperBound ?? end, end)
            }
            while group < run.upperBound, isDigit(bytes[group]) { group += 1 }
            group += 1  // over the separator, onto the next group
        }
        return marked
    }

    /// The end of the groups joined by single spaces or dashes from `start`, and their digits.
    static func spaceOrDashRun(in bytes: UnsafeBufferPointer<UInt8>, from start: Int,
                               before end: Int) -> (end: Int, digits: Int) {
        var index = start
        var digits = 0
        while true {
            while index < end, isDigit(bytes[index]) {
                digits += 1
                index += 1
            }
            guard index < end, isSpaceOrDash(bytes[index]) else { return (index, digits) }
            index += 1
        }
    }

    /// Rule 2 from the group at `start`: the end of the longest sequence of groups (the first of
    /// 4+ digits, the others of 3+) holding 12–19 digits with a valid Luhn check digit. `end` is
    /// the end of the run, inside which every separator is single and followed by a digit.
    static func separatedNumberEnd(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, before end: Int) -> Int? {
        var found: Int?
        var index = start
        var digits = 0
        // Luhn sums with the digits at even (odd) positions from the left doubled: the check
        // digit is the last one, so the doubled positions are those of the count's parity.
        var evenDoubled = 0
        var oddDoubled = 0
        var shortestGroup = 4
        while index < end {
            let groupStart = index
            while index < end, isDigit(bytes[index]) {
                guard digits < maximumSeparatedDigits else { return found }
                let digit = Int(bytes[index] &- UInt8(ascii: "0"))
                let twice = digit > 4 ? digit * 2 - 9 : digit * 2
                if digits % 2 == 0 {
                    evenDoubled += twice
                    oddDoubled += digit
                } else {
                    evenDoubled += digit
                    oddDoubled += twice
                }
                digits += 1
                index += 1
            }
            guard index - groupStart >= shortestGroup else { return found }
            shortestGroup = 3
            if digits >= minimumDigits, (digits % 2 == 0 ? evenDoubled : oddDoubled) % 10 == 0 {
                found = index
            }
            index += 1  // over the separator
        }
        return found
    }

    /// Whether the bytes before `position` are the `\u` of a JSON escape (an odd number of
    /// backslashes, then `u`). A run starting there begins with the escape's hex digits, as in
    /// `\u000123456789012` (U+0001 then 11 digits); it is widened to take the `\u` too, so that
    /// redacting a JSON line never leaves a broken escape. Outside JSON the widening is harmless.
    @inline(__always)
    static func endsJSONUnicodeEscapePrefix(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> Bool {
        guard bytes[position - 1] == UInt8(ascii: "u") else { return false }
        var backslashes = 0
        var cursor = position - 2
        while cursor >= 0, bytes[cursor] == UInt8(ascii: "\\") {
            backslashes += 1
            cursor -= 1
        }
        return backslashes % 2 == 1
    }

    /// The high bit of each byte of `word` that is an ASCII digit, and no other bit: the exact
    /// "has byte between 0x2F and 0x3A, exclusive" test from *Bit Twiddling Hacks* (no carries
    /// cross bytes, so every byte is tested on its own).
    @inline(__always)
    static func digitBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let low7 = word & (ones &* 0x7F)
        let belowColon = (ones &* (0x7F + 0x3A)) &- low7
        let aboveSlash = low7 &+ (ones &* (0x7F - 0x2F))
        return belowColon & ~word & aboveSlash & (ones &* 0x80)
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Joins groups under both rules.
    @inline(__always)
    static func isSpaceOrDash(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") }

    /// Joins groups under rule 2 only.
    @inline(__always)
    static func isDotSlashOrUnderscore(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "_")
    }
}
