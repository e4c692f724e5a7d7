@testable import Logging
import TestSupport
import Testing

@Suite(.ownThreads) struct RedactorRule {
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
        // Separated by dots, slashes or underscores: rule 2 (12–19 digits, Luhn-valid).
        ("4111.1111.1111.1111", "[REDACTED]"),
        ("4111/1111/1111/1111", "[REDACTED]"),
        ("4111_1111_1111_1111", "[REDACTED]"),
        ("4111 1111.1111-1111", "[REDACTED]"),
        ("3782.822463.10005", "[REDACTED]"),  // Amex grouping, 15 digits
        ("5018.0000.0009", "[REDACTED]"),  // 12 digits
        ("4222.2222.22222", "[REDACTED]"),  // 13 digits
        ("3056.930902.5904", "[REDACTED]"),  // 14 digits
        ("6304.0000.0000.0000.000", "[REDACTED]"),  // 19 digits
        ("card 5555.5555.5555.4444 declined", "card [REDACTED] declined"),
        ("/cards/4111.1111.1111.1111/x", "/cards/[REDACTED]/x"),
        ("12 4111.1111.1111.1111", "12 [REDACTED]"),  // found after a number it is joined to
        ("1.2.4111_1111_1111_1111.5", "1.2.[REDACTED].5"),
        ("1001.4111.1111.1111.1111", "1001.[REDACTED]"),  // 20 digits in all; the PAN inside is found
        ("4111.1111.1111.1111_378282246310005", "[REDACTED]_[REDACTED]"),  // two numbers, two stretches
        ("4111.1111.1111.1111.5555.5555.5555.4444", "[REDACTED]"),  // overlapping valid groupings merge
        ("4111.1111.1111.1111-2222-3333-4444", "[REDACTED]"),  // rule 2 and a rule-1 run sharing a group
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
        "4111..1111..1111..1111",
        "4111.1111.1111.1112",  // fails the Luhn check: rule 2 asks for a valid number
        "4111/1111/1111/1112",
        "192.168.100.100",  // Luhn-valid digits, but an IPv4 address's groups are too short
        "10.250.199.201:8080",
        "2026.11.23.09.00.07",  // Luhn-valid, 14 digits in groups of 2
        "2026/11/23 09:00:07",
        "v1.234.567.890.102",  // Luhn-valid, 13 digits: a version, its first group too short
        "v2.14.1234.5678.9012",  // fails the Luhn check
        "1234.56.7890.1234",  // a 2-digit group breaks the number
        "f47ac10b-58cc-4372-a567-0e02b2c3d479",  // a UUID: letters break its digits
        "duration 1234.56789013",  // a decimal whose digits fail the Luhn check
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
        #expect(Redactor.redact("took 1234.56781004 s") == "took [REDACTED] s")  // Luhn-valid decimal
        #expect(Redactor.redact("123e4567-e89b-12d3-a456-426614174000") == "123e4567-e89b-12d3-a[REDACTED]")
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

    @Test func wordAtATimeDigitTestIsExact() async {
        for value in 0...255 {
            for position in 0..<8 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                let word = UInt64(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                let expected: UInt64 = Redactor.isDigit(UInt8(value)) ? 0x80 << (position * 8) : 0
                #expect(Redactor.digitBytes(word) == expected, "byte \(value) at \(position)")
            }
        }
        // The random words are checked on a thread of their own (`blocking`), as are the other
        // long randomized loops here: seconds of work would hold a thread of the cooperative pool
        // that other tests' servers need. What each found is asserted in the test.
        let words = await blocking {
            var generator = SplitMix64(seed: 99)
            return (0..<100_000).map { _ in
                let word = generator.next()
                let expected = (0..<8).reduce(UInt64(0)) { mask, position in
                    Redactor.isDigit(UInt8(truncatingIfNeeded: word >> (position * 8))) ? mask | 0x80 << (position * 8) : mask
                }
                return (word: word, digits: Redactor.digitBytes(word), expected: expected)
            }
        }
        for word in words {
            #expect(word.digits == word.expected, "word \(word.word)")
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
    @Test func matchesReferenceImplementationOnRandomInput() async {
        let runs = await blocking {
            var generator = SplitMix64(seed: 0xC0FFEE)
            let alphabet: [Character] = Array("0123456789012345678901234567890123456789  --x:._/é")
            return (0..<20_000).map { _ in
                let length = Int(generator.next() % 60)
                let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
                let redacted = Redactor.redact(text)
                return (text: text, redacted: redacted, reference: referenceRedact(text), again: Redactor.redact(redacted),
                        leftARun: Redactor.containsDigitRun(redacted))
            }
        }
        for run in runs {
            #expect(run.redacted == run.reference, "input: \(run.text)")
            #expect(run.again == run.redacted, "not idempotent: \(run.text)")
            #expect(!run.leftARun)
        }
    }

    /// Digits sparse among letters, so that the scanner jumps over whole words and into the
    /// middle of others; runs long and short, joined or not.
    @Test func matchesReferenceImplementationWhereDigitsAreSparse() async {
        let runs = await blocking {
            var generator = SplitMix64(seed: 7)
            return (0..<20_000).map { _ in
                var text = ""
                for _ in 0..<generator.next() % 8 {
                    text += String(repeating: "x", count: Int(generator.next() % 20))
                    text += String((0..<generator.next() % 17).map { _ in Character(String(generator.next() % 10)) })
                    text += ["", " ", "-", ".", "/", "_", "é"][Int(generator.next() % 7)]
                }
                return (text: text, redacted: Redactor.redact(text), reference: referenceRedact(text))
            }
        }
        for run in runs {
            #expect(run.redacted == run.reference, "input: \(run.text)")
        }
    }

    /// Valid card numbers of every length, split into groups the way people write them (first
    /// group 4+ digits, the others 3+) by random separators, among other groups of digits: the
    /// number never survives, and the scanner agrees with the reference.
    @Test func separatedCardNumbersNeverSurvive() async {
        let runs = await blocking {
            var generator = SplitMix64(seed: 0x5EED)
            let separators: [Character] = [" ", "-", ".", "/", "_"]
            func randomDigits(_ count: Int) -> String {
                String((0..<count).map { _ in Character(String(generator.next() % 10)) })
            }
            return (0..<20_000).map { _ in
                let length = 12 + Int(generator.next() % 8)
                let pan = luhnCompleted(randomDigits(length - 1))
                var groups: [String] = []
                var rest = Substring(pan)
                while !rest.isEmpty {
                    let smallest = groups.isEmpty ? 4 : 3
                    let size = rest.count <= smallest + 2 ? rest.count : smallest + Int(generator.next() % 4)
                    groups.append(String(rest.prefix(size)))
                    rest = rest.dropFirst(size)
                }
                if groups.count > 1, groups.last!.count < 3 {  // fold a short tail into the group before it
                    groups[groups.count - 2] += groups.removeLast()
                }
                let written = groups.dropFirst().reduce(groups[0]) { $0 + String(separators[Int(generator.next() % 5)]) + $1 }
                let before = ["", "card ", "12 ", "1.2.", "x/", "id_"][Int(generator.next() % 6)]
                let after = ["", " ok", ".", "/5", "-x", ":1"][Int(generator.next() % 6)]
                let text = before + written + after
                return (pan: pan, written: written, text: text, redacted: Redactor.redact(text), reference: referenceRedact(text))
            }
        }
        for run in runs {
            #expect(!run.redacted.contains(run.written), "survived: \(run.text) -> \(run.redacted)")
            #expect(!run.redacted.filter(\.isNumber).contains(run.pan), "digits survived: \(run.text) -> \(run.redacted)")
            #expect(run.redacted == run.reference, "input: \(run.text)")
        }
    }

    /// Whatever their digits, IPv4 addresses, dotted dates and times and short versions survive.
    @Test func addressesDatesAndVersionsSurvive() async {
        let runs = await blocking {
            var generator = SplitMix64(seed: 42)
            func number(_ range: ClosedRange<UInt64>) -> String { String(range.lowerBound + generator.next() % (range.upperBound - range.lowerBound + 1)) }
            return (0..<20_000).flatMap { _ in
                let samples = [
                    "\(number(0...255)).\(number(0...255)).\(number(0...255)).\(number(0...255))",
                    "from \(number(100...255)).\(number(100...255)).\(number(100...255)).\(number(100...255)):\(number(1...65535))",
                    "\(number(1970...2099)).\(number(10...12)).\(number(10...28)).\(number(10...23)).\(number(10...59)).\(number(10...59))",
                    "\(number(1970...2099))/\(number(10...12))/\(number(10...28)) \(number(10...23)):\(number(10...59))",
                    "v\(number(0...99)).\(number(0...999)).\(number(0...999)).\(number(0...999))",
                ]
                return samples.map { (text: $0, redacted: Redactor.redact($0)) }
            }
        }
        for run in runs {
            #expect(run.redacted == run.text)
        }
    }
}

/// `body` followed by the check digit that makes it pass the Luhn check.
func luhnCompleted(_ body: String) -> String {
    let sum = body.reversed().enumerated().reduce(0) { sum, element in
        let digit = element.element.wholeNumberValue!
        return sum + (element.offset % 2 == 0 ? (digit * 2 > 9 ? digit * 2 - 9 : digit * 2) : digit)
    }
    return body + String((10 - sum % 10) % 10)
}

/// The type's two rules, read literally: list the digit groups, mark the characters of every
/// space-or-dash chain of 12+ digits and of every separated, Luhn-valid 12–19-digit chain (first
/// group 4+ digits, others 3+), then replace each marked stretch. Character-based and quadratic.
func referenceRedact(_ text: String) -> String {
    let characters = Array(text)
    let digitCharacters: Set<Character> = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
    var groups: [Range<Int>] = []
    for index in characters.indices where digitCharacters.contains(characters[index]) {
        if let last = groups.last, last.upperBound == index {
            groups[groups.count - 1] = last.lowerBound..<index + 1
        } else {
            groups.append(index..<index + 1)
        }
    }
    /// The one character between group `i` and the next, if exactly one and it is in `separators`.
    func joined(_ i: Int, by separators: Set<Character>) -> Bool {
        i + 1 < groups.count && groups[i + 1].lowerBound - groups[i].upperBound == 1
            && separators.contains(characters[groups[i].upperBound])
    }
    func luhnValid(_ digits: [Int]) -> Bool {
        digits.reversed().enumerated().reduce(0) { sum, element in
            let (position, digit) = element
            return sum + (position % 2 == 1 ? (digit * 2 > 9 ? digit * 2 - 9 : digit * 2) : digit)
        } % 10 == 0
    }
    var marked = [Bool](repeating: false, count: characters.count)
    func mark(_ first: Int, _ last: Int) {
        for index in groups[first].lowerBound..<groups[last].upperBound { marked[index] = true }
    }
    // Rule 1.
    var first = 0
    while first < groups.count {
        var last = first
        while joined(last, by: [" ", "-"]) { last += 1 }
        if groups[first...last].map(\.count).reduce(0, +) >= 12 { mark(first, last) }
        first = last + 1
    }
    // Rule 2.
    for first in groups.indices where groups[first].count >= 4 {
        var last = first
        var digits = groups[first].flatMap { characters[$0].wholeNumberValue.map { [$0] } ?? [] }
        while true {
            if (12...19).contains(digits.count), luhnValid(digits) { mark(first, last) }
            guard joined(last, by: [" ", "-", ".", "/", "_"]), groups[last + 1].count >= 3 else { break }
            last += 1
            digits += groups[last].map { characters[$0].wholeNumberValue! }
        }
    }
    var output = ""
    for index in characters.indices {
        if !marked[index] {
            output.append(characters[index])
        } else if index == 0 || !marked[index - 1] {
            output += "[REDACTED]"
        }
    }
    return output
}
