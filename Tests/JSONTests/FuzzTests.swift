@testable import JSON
import TestSupport
import Testing


/// Scalars chosen to hit every escaping and UTF-8 path.
private let interestingScalars: [Unicode.Scalar] = [
    "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{8}", "\u{C}", "\u{1F}", "\u{7F}", "\u{80}",
    "é", "\u{7FF}", "\u{800}", "€", "中", "\u{2028}", "\u{2029}", "\u{D7FF}", "\u{E000}", "\u{FEFF}", "\u{FFFF}",
    "😀", "\u{10000}", "\u{10FFFF}", "\u{301}",
]

private func randomString(_ g: inout SplitMix64) -> String {
    var s = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0...12, using: &g) {
        if Bool.random(using: &g) {
            s.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &g)))
        } else {
            s.append(interestingScalars.randomElement(using: &g)!)
        }
    }
    return String(s)
}

private func randomNumber(_ g: inout SplitMix64) -> JSONNumber {
    switch Int.random(in: 0..<5, using: &g) {
    case 0:
        return JSONNumber(Int.random(in: Int.min...Int.max, using: &g))
    case 1:
        return JSONNumber(Int.random(in: -1000...1000, using: &g))
    case 2:
        while true {
            let d = Double(bitPattern: g.next())
            if let n = JSONNumber(d) { return n }
        }
    default:
        // Grammar-valid text, including forms Swift would never print.
        var text = Bool.random(using: &g) ? "-" : ""
        let digits = "0123456789"
        if Bool.random(using: &g) {
            text += "0"
        } else {
            text += String("123456789".randomElement(using: &g)!)
            for _ in 0..<Int.random(in: 0...30, using: &g) { text.append(digits.randomElement(using: &g)!) }
        }
        if Bool.random(using: &g) {
            text += "."
            for _ in 0...Int.random(in: 0...10, using: &g) { text.append(digits.randomElement(using: &g)!) }
        }
        if Bool.random(using: &g) {
            text += ["e", "E", "e+", "e-", "E+", "E-"].randomElement(using: &g)!
            for _ in 0...Int.random(in: 0...4, using: &g) { text.append(digits.randomElement(using: &g)!) }
        }
        return JSONNumber(text: text)!
    }
}

private func randomValue(_ g: inout SplitMix64, depth: Int) -> JSONValue {
    let choice = Int.random(in: 0..<(depth >= 5 ? 4 : 6), using: &g)
    switch choice {
    case 0: return Int.random(in: 0..<5, using: &g) == 0 ? .null : .bool(Bool.random(using: &g))
    case 1: return .number(randomNumber(&g))
    case 2, 3: return .string(randomString(&g))
    case 4: return .array((0..<Int.random(in: 0...6, using: &g)).map { _ in randomValue(&g, depth: depth + 1) })
    default:
        var object = JSONObject()
        for _ in 0..<Int.random(in: 0...(Bool.random(using: &g) ? 5 : 20), using: &g) {
            let key = randomString(&g)
            if object[key] == nil { object[key] = randomValue(&g, depth: depth + 1) }
        }
        return .object(object)
    }
}

// Each loop runs on a thread of its own (`blocking`): seconds of parsing would hold a thread of
// the cooperative pool that other tests' servers need. What it found is asserted in the test.
@Suite(.ownThreads) struct Fuzz {
    @Test func randomValuesRoundTrip() async throws {
        let runs = await blocking {
            var g = SplitMix64(seed: 0xC0FFEE)
            return (0..<3_000).map { _ in
                let value = randomValue(&g, depth: 0)
                let written = JSONWriter.write(value)
                let parsed = Result { try JSONParser.parse(written, limits: JSONLimits(maxElements: 1_000_000)) }
                return (value: value, written: written, parsed: parsed, rewritten: (try? parsed.get()).map(JSONWriter.write))
            }
        }
        for run in runs {
            // Output is valid UTF-8 with no raw control characters and no raw U+2028/U+2029.
            #expect(String(validating: run.written, as: UTF8.self) != nil)
            #expect(!run.written.contains { $0 < 0x20 })
            #expect(!String(decoding: run.written, as: UTF8.self).unicodeScalars.contains { $0 == "\u{2028}" || $0 == "\u{2029}" })
            #expect(try run.parsed.get() == run.value)
            #expect(run.rewritten == run.written)
        }
    }

    @Test func randomBytesNeverCrash() async {
        let accepted = await blocking {
            var g = SplitMix64(seed: 42)
            let alphabet = Array(#"{}[],:"\ 0123456789-+.eEtrufalsnu"#.utf8) + [0x0A, 0x09, 0x00, 0x80, 0xC3, 0xA9, 0xED, 0xF0, 0xFF]
            return (0..<30_000).compactMap { _ -> (value: JSONValue, reparsed: JSONValue?)? in
                let length = Int.random(in: 0...40, using: &g)
                let bytes: [UInt8] = (0..<length).map { _ in
                    Int.random(in: 0..<8, using: &g) == 0 ? UInt8.random(in: 0...255, using: &g) : alphabet.randomElement(using: &g)!
                }
                return (try? JSONParser.parse(bytes)).map { ($0, try? JSONParser.parse(JSONWriter.write($0))) }
            }
        }
        for run in accepted {
            #expect(run.reparsed == run.value)
        }
        #expect(accepted.count > 0)
    }

    @Test func mutatedDocumentsNeverCrash() async {
        let accepted = await blocking {
            var g = SplitMix64(seed: 7)
            return (0..<5_000).compactMap { _ -> (value: JSONValue, reparsed: JSONValue?)? in
                var bytes = JSONWriter.write(randomValue(&g, depth: 0))
                for _ in 0..<Int.random(in: 1...3, using: &g) {
                    let position = Int.random(in: 0...bytes.count, using: &g)
                    switch Int.random(in: 0..<3, using: &g) {
                    case 0 where position < bytes.count: bytes[position] = UInt8.random(in: 0...255, using: &g)
                    case 1 where position < bytes.count: bytes.remove(at: position)
                    default: bytes.insert(Array(#"{}[],:"\0e.-"#.utf8).randomElement(using: &g)!, at: position)
                    }
                }
                let limits = JSONLimits(maxDepth: 4, maxStringBytes: 16, maxElements: 50, maxNumberBytes: 20)
                return (try? JSONParser.parse(bytes, limits: limits)).map { ($0, try? JSONParser.parse(JSONWriter.write($0), limits: limits)) }
            }
        }
        for run in accepted {
            #expect(run.reparsed == run.value)
        }
        #expect(accepted.count > 0)
    }
}
