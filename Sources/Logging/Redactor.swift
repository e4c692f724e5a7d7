/// The last guard between a formatted line and the outside world: it removes anything that
/// looks like a card number (PAN).
///
/// **Rule.** A *digit run* is a maximal sequence of ASCII digits `0`–`9` in which consecutive
/// digit groups may be joined by exactly one space or one dash, the ways PANs are usually
/// written: `4111111111111111`, `4111 1111 1111 1111`, `4111-1111-1111-1111`. A run holding
/// **12 or more digits in total** is replaced as a whole by ``replacement``. There is no upper
/// bound: a run of 20+ digits is redacted too, because a PAN glued to other digits (a packed
/// record, two numbers side by side) is still a PAN.
///
/// What is *not* joined, and so keeps the digits visible:
/// - groups separated by any other byte (`:` `T` `.` `/` `,` `"` letters, …) or by two or more
///   separators (`4111  1111`, `4111 - 1111`);
/// - a separator that does not sit between two digits (`-123` keeps its minus sign).
///
/// So an ISO-8601 timestamp `2026-11-23T09:00:00.123Z` is untouched (its longest run,
/// `2026-11-23`, holds 8 digits), and so are `2026-11-23 09:00:00` (10) and an 11-digit number.
/// The price of the rule is a few false positives — epoch milliseconds (13 digits), byte
/// counts ≥ 100 GB, international phone numbers — which is the right side to err on: log those
/// as ISO dates or scaled units.
///
/// A run that starts with the hex digits of a JSON `\uXXXX` escape is widened to cover the `\u`,
/// so that a redacted JSON line stays valid JSON.
///
/// The scan is a single pass over UTF-8 bytes (eight at a time up to the next digit), with
/// no regular expression and no allocation when nothing matches. Non-ASCII digits (fullwidth
/// `４`, …) are not recognised.
public enum Redactor {
    /// What a redacted run becomes. Contains no quote, backslash or digit, so it is safe inside
    /// a JSON string, a Prometheus label value, and cannot itself start a new run.
    public static let replacement = "[REDACTED]"

    /// Runs with at least this many digits are redacted.
    public static let minimumDigits = 12

    /// `text` with every run of 12 or more digits (see the type's documentation) replaced by
    /// ``replacement``. Returns `text` itself, without copying, when nothing matches.
    public static func redact(_ text: String) -> String {
        var text = text
        let redacted: [UInt8]? = text.withUTF8 { redact(bytes: $0) }
        guard let redacted else { return text }
        return String(decoding: redacted, as: UTF8.self)
    }

    /// Whether `text` holds a run that ``redact(_:)`` would replace.
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

    /// The byte range of the first run of ≥ 12 digits starting at or after `start`.
    /// Every byte is looked at once: a run too short to redact is skipped as a whole.
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
            let runStart = index
            var digits = 0
            while true {
                while index < count, isDigit(bytes[index]) {
                    digits += 1
                    index += 1
                }
                // `index` is on the first non-digit (or the end). Join across one separator
                // only when a digit follows it; the run always ends on a digit.
                if index + 1 < count, isSeparator(bytes[index]), isDigit(bytes[index + 1]) {
                    index += 1
                    continue
                }
                break
            }
            if digits >= minimumDigits {
                let widen = runStart >= 2 && endsJSONUnicodeEscapePrefix(bytes, at: runStart)
                return (widen ? runStart - 2 : runStart)..<index
            }
        }
        return nil
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

    @inline(__always)
    static func isSeparator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") }
}
