@testable import Logging
import TestSupport
import Testing

@Suite struct RedactorRule {
    @Test(arguments: [
        ("4111111111111111", "[REDACTED]"),
        ("card 4111111111111111", "card [REDACTED]"),
        ("4111111111111111 declined", "[REDACTED] declined"),
        ("pan=4111111111111111&x=1", "pan=[REDACTED]&x=1"),
        ("4111 1111 1111 1111", "[REDACTED]"),
        ("4111-1111-1111-1111", "[REDACTED]"),
        ("4111 1111-1111 1111", "[REDACTED]"),
        ("3782 822463 10005", "[REDACTED]"),  // Amex grouping, 15 digits
        ("6011000990139424", "[REDACTED]"),
        ("6304000000000000000", "[REDACTED]"),  // 19 digits
        ("x4111111111111111y", "x[REDACTED]y"),
        ("-4111111111111111-", "-[REDACTED]-"),  // a separator not between digits is kept
        ("4111 1111 1111 1111 ", "[REDACTED] "),
        (" 4111-1111-1111-1111-", " [REDACTED]-"),
        ("a 4111111111111111 b 5500005555555559 c", "a [REDACTED] b [REDACTED] c"),
        ("é4111111111111111é", "é[REDACTED]é"),
        ("\"4111111111111111\"", "\"[REDACTED]\""),
    ])
    func redactsCardNumbers(_ input: String, _ expected: String) {
        #expect(Redactor.redact(input) == expected)
        #expect(Redactor.containsDigitRun(input))
    }

    @Test func twelveDigitsIsTheThreshold() {
        #expect(Redactor.redact("12345678901") == "12345678901")
        #expect(Redactor.redact("123456789012") == "[REDACTED]")
        #expect(Redactor.redact("1234 5678 901") == "1234 5678 901")
        #expect(Redactor.redact("1234-5678-9012") == "[REDACTED]")
        #expect(Redactor.redact("id 12345678901.") == "id 12345678901.")
    }

    /// A run of 20 or more digits is redacted too: a PAN glued to other digits is still a PAN.
    @Test func longerRunsAreRedactedToo() {
        #expect(Redactor.redact("41111111111111110000") == "[REDACTED]")
        #expect(Redactor.redact(String(repeating: "9", count: 64)) == "[REDACTED]")
        #expect(Redactor.redact("4111111111111111|203001|123") == "[REDACTED]|203001|123")
    }

    @Test(arguments: [
        "2026-11-23T09:00:00.123Z",  // longest run: 2026-11-23, 8 digits
        "2026-11-23 09:00:00",  // 2026-11-23 09: 10 digits, then ':'
        "20261123T090000Z",
        "{\"ts\":\"2026-11-23T09:00:00.123Z\",\"level\":\"info\"}",
        "took 12 ms, 3 rows, status 200, 4111 cards",
        "+1 555-123-4567",  // 11 digits
        "192.168.100.200:65535",
        "v1.2.x-45678901234",  // 11 digits; a dash after a letter joins nothing
        "4111  1111  1111  1111",  // two separators do not join (documented)
        "4111 - 1111 - 1111 - 1111",
        "4111.1111.1111.1111",
        "4111/1111/1111/1111",
        "１２３４５６７８９０１２３",  // fullwidth digits are not ASCII digits
        "",
        "no digits at all",
        "[REDACTED]",
    ])
    func leavesOtherTextAlone(_ input: String) {
        #expect(Redactor.redact(input) == input)
        #expect(!Redactor.containsDigitRun(input))
    }

    /// Documented false positives: harmless, and on the safe side.
    @Test func knownFalsePositives() {
        #expect(Redactor.redact("at 1732352400123") == "at [REDACTED]")  // epoch milliseconds
        #expect(Redactor.redact("2026-11-23 2026-11-24") == "[REDACTED]")  // 16 digits, single space
        #expect(Redactor.redact("+44 20 7946 0958") == "+[REDACTED]")
    }

    /// A run that begins with the digits of a JSON `\uXXXX` escape swallows the `\u`, so a
    /// redacted JSON string never holds a broken escape; an escaped backslash before `u` is not
    /// an escape.
    @Test func jsonUnicodeEscapesStayWhole() {
        #expect(Redactor.redact(#"a\u000123456789012"#) == "a[REDACTED]")
        #expect(Redactor.redact(#"\u0001 4111111111111111"#) == "[REDACTED]")
        #expect(Redactor.redact(#"\\u000123456789012"#) == #"\\u[REDACTED]"#)
        #expect(Redactor.redact(#"\\\u000123456789012"#) == #"\\[REDACTED]"#)
        #expect(Redactor.redact(#"u000123456789012"#) == "u[REDACTED]")
        #expect(Redactor.redact(#"\u00012345678"#) == #"\u00012345678"#)  // 11 digits
    }

    @Test func wordAtATimeDigitTestIsExact() {
        for value in 0...255 {
            for position in 0..<8 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                let word = UInt64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                let expected: UInt64 = Redactor.isDigit(UInt8(value)) ? 0x80 << (position * 8) : 0
                #expect(Redactor.digitBytes(word) == expected, "byte \(value) at \(position)")
            }
        }
        var generator = SplitMix64(seed: 99)
        for _ in 0..<100_000 {
            let word = generator.next()
            let expected = (0..<8).reduce(UInt64(0)) { mask, position in
                Redactor.isDigit(UInt8(truncatingIfNeeded: word >> (position * 8))) ? mask | 0x80 << (position * 8) : mask
            }
            #expect(Redactor.digitBytes(word) == expected)
        }
    }

    @Test func byteAPIsAgree() {
        var bytes = Array("pan 4111-1111-1111-1111!".utf8)
        Redactor.redact(bytes: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "pan [REDACTED]!")
        var clean = Array("nothing here 123".utf8)
        let before = clean
        Redactor.redact(bytes: &clean)
        #expect(clean == before)
        #expect(clean.withUnsafeBufferPointer { Redactor.redact(bytes: $0) } == nil)
    }

    /// Random strings over an alphabet rich in digits and separators, against a plain
    /// reference implementation written independently of the production scanner.
    @Test func matchesReferenceImplementationOnRandomInput() {
        var generator = SplitMix64(seed: 0xC0FFEE)
        let alphabet: [Character] = Array("0123456789012345678901234567890123456789  --x:.é")
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 60)
            let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            let redacted = Redactor.redact(text)
            #expect(redacted == referenceRedact(text), "input: \(text)")
            #expect(Redactor.redact(redacted) == redacted, "not idempotent: \(text)")
            #expect(!Redactor.containsDigitRun(redacted))
        }
    }

    /// Digits sparse among letters, so that the scanner jumps over whole words and into the
    /// middle of others; runs long and short, joined or not.
    @Test func matchesReferenceImplementationWhereDigitsAreSparse() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            var text = ""
            for _ in 0..<generator.next() % 8 {
                text += String(repeating: "x", count: Int(generator.next() % 20))
                text += String((0..<generator.next() % 17).map { _ in Character(String(generator.next() % 10)) })
                text += ["", " ", "-", ".", "é"][Int(generator.next() % 5)]
            }
            #expect(Redactor.redact(text) == referenceRedact(text), "input: \(text)")
        }
    }
}

/// Splits the text into tokens: maximal "digit groups joined by one separator" found by
/// repeatedly extending, then counts digits; deliberately character-based and quadratic.
func referenceRedact(_ text: String) -> String {
    let characters = Array(text)
    func isDigit(_ index: Int) -> Bool { index >= 0 && index < characters.count && ("0"..."9").contains(characters[index]) }
    var output = ""
    var index = 0
    while index < characters.count {
        guard isDigit(index) else {
            output.append(characters[index])
            index += 1
            continue
        }
        var end = index
        while true {
            if isDigit(end) {
                end += 1
            } else if end < characters.count, characters[end] == " " || characters[end] == "-", isDigit(end - 1), isDigit(end + 1) {
                end += 1
            } else {
                break
            }
        }
        let run = characters[index..<end]
        let digits = run.filter { ("0"..."9").contains($0) }.count
        output += digits >= 12 ? "[REDACTED]" : String(run)
        index = end
    }
    return output
}

