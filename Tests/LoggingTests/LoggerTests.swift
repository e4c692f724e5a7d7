import Foundation
@testable import Logging
import Synchronization
import TestSupport
import Testing

/// 2026-11-23T09:00:00.123456789Z
let fixedInstant = LogTimestamp(seconds: 1_795_424_400, nanoseconds: 123_456_789)

func makeLogger(
    label: String = "coffer.test", level: LogLevel = .trace, metadata: [String: LogValue] = [:]
) -> (Logger, CapturingLogSink) {
    let sink = CapturingLogSink()
    let logger = Logger(label: label, logLevel: level, metadata: metadata, sink: sink, clock: .fixed(fixedInstant))
    return (logger, sink)
}

/// Parses one line with Foundation's JSON parser: the output must be valid JSON.
func parse(_ line: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
    return try #require(object as? [String: Any])
}

@Suite(.ownThreads) struct LineFormat {
    @Test func exactLineWithSortedMetadata() throws {
        let (logger, sink) = makeLogger(metadata: ["node": "a1"])
        logger.info(
            "request",
            metadata: ["status": 200, "method": "GET", "route": "/vault/v1/cards/{token}", "ms": 1.25, "cached": false])
        #expect(sink.lines == [
            #"{"ts":"2026-11-23T09:00:00.123Z","level":"info","label":"coffer.test","msg":"request","#
                + #""cached":false,"method":"GET","ms":1.25,"node":"a1","route":"/vault/v1/cards/{token}","status":200}"#
        ])
    }

    @Test func nestedValuesAreSortedAndTyped() throws {
        let (logger, sink) = makeLogger()
        logger.notice("x", metadata: ["z": ["b": 1, "a": [true, "s", -2, 0.5, [:], [], .null]]])
        #expect(sink.lines == [
            #"{"ts":"2026-11-23T09:00:00.123Z","level":"notice","label":"coffer.test","msg":"x","z":{"a":[true,"s",-2,0.5,{},[],null],"b":1}}"#
        ])
    }

    @Test func everyLevelHasItsName() {
        let (logger, sink) = makeLogger()
        logger.trace("m")
        logger.debug("m")
        logger.info("m")
        logger.notice("m")
        logger.warning("m")
        logger.error("m")
        logger.critical("m")
        let levels = sink.lines.map { (try? parse($0))?["level"] as? String }
        #expect(levels == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
    }

    @Test func callMetadataOverridesLoggerMetadata() throws {
        var (logger, sink) = makeLogger(metadata: ["a": 1, "b": 1])
        logger[metadataKey: "c"] = "kept"
        logger.info("m", metadata: ["b": 2])
        logger.with(metadata: ["a": 3]).info("m")
        #expect(sink.lines.map { $0.split(separator: "\"msg\":\"m\",").last.map(String.init) } == [
            #""a":1,"b":2,"c":"kept"}"#, #""a":3,"b":1,"c":"kept"}"#,
        ])
    }

    @Test func reservedKeysInMetadataAreRenamed() throws {
        let (logger, sink) = makeLogger()
        logger.info("real", metadata: ["msg": "fake", "ts": 1, "level": "x", "label": "y", "metadata.label": "explicit"])
        let line = try #require(sink.lines.first)
        #expect(line.hasSuffix(#""msg":"real","metadata.label":"explicit","metadata.level":"x","metadata.msg":"fake","metadata.ts":1}"#))
        let object = try parse(line)
        #expect(object["msg"] as? String == "real")
        #expect(object["level"] as? String == "info")
    }

    @Test(arguments: [
        ("quote \" backslash \\ slash /", #"quote \" backslash \\ slash /"#),
        ("line\nfeed\rreturn\ttab", #"line\nfeed\rreturn\ttab"#),
        ("\u{08}\u{0C}", #"\b\f"#),
        ("\u{00}\u{01}\u{1F}\u{7F}", #"\u0000\u0001\u001f\u007f"#),
        ("é ü 東京 🔐 \u{2028}", "é ü 東京 🔐 \u{2028}"),
        ("", ""),
    ])
    func stringsAreEscaped(_ message: String, _ escaped: String) throws {
        let (logger, sink) = makeLogger()
        logger.info(message, metadata: [message: .string(message)])
        let line = try #require(sink.lines.first)
        #expect(line.contains(#""msg":"\#(escaped)""#))
        #expect(!line.contains("\n") && !line.contains("\r"))
        let object = try parse(line)
        #expect(object["msg"] as? String == message)
        #expect(object[message] as? String == message)
    }

    @Test func sinksReceiveOneNewlineTerminatedLine() throws {
        final class Bytes: LogSink {
            let received = Mutex<[[UInt8]]>([])
            func write(line: [UInt8]) { received.withLock { $0.append(line) } }
        }
        let sink = Bytes()
        let logger = Logger(label: "l", sink: sink, clock: .fixed(fixedInstant))
        logger.error("multi\nline\n", metadata: ["k": "v\n"])
        let lines = sink.received.withLock { $0 }
        #expect(lines.count == 1)
        #expect(lines[0].last == UInt8(ascii: "\n"))
        #expect(lines[0].filter { $0 == UInt8(ascii: "\n") }.count == 1)
    }

    @Test func integers() throws {
        let (logger, sink) = makeLogger()
        logger.info("n", metadata: ["a": 0, "b": -7, "c": 99_999_999_999, "d": -99_999_999_999, "e": .int(Int.max), "f": .int(Int.min)])
        let line = try #require(sink.lines.first)
        #expect(line.hasSuffix(#""a":0,"b":-7,"c":99999999999,"d":-99999999999,"e":"[REDACTED]","f":"[REDACTED]"}"#))
        _ = try parse(line)
    }

    @Test(arguments: [
        (1.25, "1.25"), (-0.5, "-0.5"), (3.0, "3.0"), (1e-5, "1e-05"), (1e20, "1e+20"), (0.0, "0.0"),
        (0.1 + 0.2, "0.3"),  // shortest form has a 17-digit fraction: written with 8 significant digits
        (0.000123456789012345, "0.00012345679"),
        (2.0 / 3.0, "0.66666667"),
        (1234.567890123456, "1234.5679"),
        (-0.000123456789012345, "-0.00012345679"),
        (99.99999999999999, "100.0"),
        (1.2345678901234e-8, "1.2345679e-08"),
        (1.2345678901234e-30, #""[REDACTED]""#),  // too small for exact rounding: redacted, not leaked
        (4_111_111_111_111_111.0, #""[REDACTED]""#),
        (123_456_789_012.5, #""[REDACTED]""#),
        (Double.nan, #""NaN""#), (Double.infinity, #""Infinity""#), (-Double.infinity, #""-Infinity""#),
    ])
    func doubles(_ value: Double, _ expected: String) throws {
        let (logger, sink) = makeLogger()
        logger.info("d", metadata: ["v": .double(value)])
        let line = try #require(sink.lines.first)
        #expect(line.hasSuffix(#""v":\#(expected)}"#))
        _ = try parse(line)
    }

    @Test func roundingToEightSignificantDigits() {
        #expect(JSONLineWriter.eightSignificantDigits(99_999_999.99999999) == "100000000.0")
        #expect(JSONLineWriter.eightSignificantDigits(12_345_678_901.123456) == "12345679000.0")
        #expect(JSONLineWriter.eightSignificantDigits(-98_765.432101234567) == "-98765.432")
        #expect(JSONLineWriter.eightSignificantDigits(0) == "0.0")
        #expect(JSONLineWriter.eightSignificantDigits(1e-300) == nil)
        var generator = SplitMix64(seed: 5)
        for _ in 0..<10_000 {
            let value = Double(bitPattern: generator.next() % 0x4230_0000_0000_0000)  // up to ~6.9e10
            guard value.isFinite, value.magnitude >= 1e-15, let text = JSONLineWriter.eightSignificantDigits(value) else { continue }
            #expect(!Redactor.containsDigitRun(text), "\(value) → \(text)")
            let back = Double(text)!
            #expect(abs(back - value) <= abs(value) * 1e-7, "\(value) → \(text)")
        }
    }

    @Test func logValueDescriptionIsRedactedJSON() {
        let value: LogValue = ["pan": "4111111111111111", "n": 1, "list": ["a\"b"]]
        #expect(value.description == #"{"list":["a\"b"],"n":1,"pan":"[REDACTED]"}"#)
        let interpolated: LogValue = "id \(42)"
        #expect(interpolated == .string("id 42"))
    }
}

@Suite(.ownThreads) struct Levels {
    @Test func ordering() {
        #expect(LogLevel.allCases == LogLevel.allCases.sorted())
        #expect(LogLevel.trace < .debug && LogLevel.error < .critical)
        #expect(LogLevel("WARN") == .warning)
        #expect(LogLevel("Notice") == .notice)
        #expect(LogLevel("verbose") == nil)
        for level in LogLevel.allCases { #expect(LogLevel(level.description) == level) }
    }

    @Test func belowTheLevelNothingIsEvaluated() {
        let (base, sink) = makeLogger(level: .warning)
        var logger = base
        var evaluated = 0
        func message() -> String {
            evaluated += 1
            return "m"
        }
        func metadata() -> [String: LogValue] {
            evaluated += 1
            return ["k": "v"]
        }
        logger.trace(message(), metadata: metadata())
        logger.debug(message(), metadata: metadata())
        logger.info(message(), metadata: metadata())
        logger.notice(message(), metadata: metadata())
        #expect(evaluated == 0)
        #expect(sink.lines.isEmpty)
        logger.warning(message(), metadata: metadata())
        #expect(evaluated == 2)
        #expect(sink.lines.count == 1)
        logger.logLevel = .critical
        #expect(!logger.isEnabled(.error) && logger.isEnabled(.critical))
    }
}

@Suite(.ownThreads) struct LineRedaction {
    func line(_ body: (Logger) -> Void, label: String = "coffer.test") throws -> String {
        let (logger, sink) = makeLogger(label: label)
        body(logger)
        let line = try #require(sink.lines.first)
        _ = try parse(line)  // still valid JSON
        #expect(line.hasPrefix(#"{"ts":"2026-11-23T09:00:00.123Z","#), "the timestamp survives redaction")
        #expect(!Redactor.containsDigitRun(line))
        return line
    }

    @Test func inTheMessage() throws {
        #expect(try line { $0.info("charging 4111111111111111 now") }.contains(#""msg":"charging [REDACTED] now""#))
        #expect(try line { $0.info("4111 1111 1111 1111") }.contains(#""msg":"[REDACTED]""#))
        #expect(try line { $0.info("4111-1111-1111-1111") }.contains(#""msg":"[REDACTED]""#))
        #expect(try line { $0.info("x\n4111111111111111\t") }.contains(#""msg":"x\n[REDACTED]\t""#))
    }

    @Test func inMetadataValuesAndKeys() throws {
        let text = try line {
            $0.info("m", metadata: [
                "pan": "4111111111111111", "4111111111111111": "key", "n": 4_111_111_111_111_111,
                "nested": ["deep": ["cards": ["5500-0055-5555-5559", "ok"]]], "d": 4_111_111_111_111_111.0,
            ])
        }
        // Keys are sorted before redaction: "4111…" sorts first.
        #expect(text.hasSuffix(
            #""msg":"m","[REDACTED]":"key","d":"[REDACTED]","n":"[REDACTED]","#
                + #""nested":{"deep":{"cards":["[REDACTED]","ok"]}},"pan":"[REDACTED]"}"#))
    }

    @Test func inEscapedJSONAndLabel() throws {
        let embedded = #"{"card":{"number":"4111111111111111","exp":"203001"}}"#
        let text = try line { $0.warning("upstream said \(embedded)") }
        #expect(text.contains(#"\"number\":\"[REDACTED]\",\"exp\":\"203001\""#))
        let labelled = try line({ $0.info("m") }, label: "job-4111111111111111")
        #expect(labelled.contains(#""label":"job-[REDACTED]""#))
    }

    @Test func atTheEdgesOfStrings() throws {
        let text = try line { $0.info("4111111111111111", metadata: ["a": "4111111111111111x", "b": "x4111111111111111"]) }
        #expect(text.hasSuffix(#""msg":"[REDACTED]","a":"[REDACTED]x","b":"x[REDACTED]"}"#))
    }

    @Test func shortNumbersAndTimestampsSurvive() throws {
        let text = try line {
            $0.info("retry 3 of 5 for order 12345678901", metadata: [
                "at": "2026-11-23T09:00:00.123Z", "date": "2026-11-23", "status": 200, "bytes": 99_999_999_999,
                "phone": "+1 555-123-4567",
            ])
        }
        #expect(text == #"{"ts":"2026-11-23T09:00:00.123Z","level":"info","label":"coffer.test","msg":"retry 3 of 5 for order 12345678901","#
            + #""at":"2026-11-23T09:00:00.123Z","bytes":99999999999,"date":"2026-11-23","phone":"+1 555-123-4567","status":200}"#)
    }
}

@Suite(.ownThreads) struct RandomLines {
    /// Random text rich in digits, separators, control characters, backslashes and `u`: every
    /// line must parse as JSON and hold no redactable run; text without digits must round-trip.
    @Test func alwaysValidJSONAndNeverARun() async throws {
        // Logged on a thread of its own: seconds of redaction would hold a thread of the
        // cooperative pool that other tests' servers need.
        let logged = await blocking {
            let alphabet: [Character] = Array("0123456789012345678901234567890123456789  --\\uu\"é\u{01}\u{00}\u{1F}\u{7F}\n\t")
            var generator = SplitMix64(seed: 2026)
            let (logger, sink) = makeLogger()
            return (0..<5_000).map { _ in
                let length = Int(generator.next() % 50)
                let text = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
                logger.info(text, metadata: [text: .string(text), "list": [.string(text)]])
                return (text: text, line: sink.lines.last, hasRun: sink.lines.last.map(Redactor.containsDigitRun))
            }
        }
        for (text, line, hasRun) in logged {
            let line = try #require(line)
            let object = try parse(line)
            #expect(hasRun == false, "\(line)")
            if !text.contains(where: \.isNumber) {
                #expect(object["msg"] as? String == text)
            }
        }
    }
}

@Suite(.ownThreads) struct Timestamps {
    @Test(arguments: [
        (LogTimestamp(seconds: 0), "1970-01-01T00:00:00.000Z"),
        (LogTimestamp(seconds: 1_795_424_400, nanoseconds: 123_456_789), "2026-11-23T09:00:00.123Z"),
        (LogTimestamp(seconds: 1_709_251_199, nanoseconds: 999_999_999), "2024-02-29T23:59:59.999Z"),
        (LogTimestamp(seconds: 951_782_400), "2000-02-29T00:00:00.000Z"),
        (LogTimestamp(seconds: 253_402_300_799, nanoseconds: 1_000_000), "9999-12-31T23:59:59.001Z"),
        (LogTimestamp(seconds: -1), "1969-12-31T23:59:59.000Z"),
        (LogTimestamp(seconds: 0, nanoseconds: -1), "1969-12-31T23:59:59.999Z"),
        (LogTimestamp(seconds: 10, nanoseconds: 2_500_000_000), "1970-01-01T00:00:12.500Z"),
    ])
    func formats(_ timestamp: LogTimestamp, _ expected: String) {
        #expect(timestamp.iso8601 == expected)
        #expect(!Redactor.containsDigitRun(expected))
    }

    @Test func agreesWithFoundationOnRandomInstants() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        var generator = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            let seconds = Int(generator.next() % 8_000_000_000)  // 1970 … 2223
            let milliseconds = Int(generator.next() % 1000)
            let ours = LogTimestamp(seconds: seconds, nanoseconds: milliseconds * 1_000_000 + 999).iso8601
            let reference = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
                + "." + String(1000 + milliseconds).dropFirst() + "Z"
            #expect(ours == reference)
        }
    }

    @Test func systemClockIsNow() {
        let ours = LogClock.system.now()
        let reference = Date().timeIntervalSince1970
        #expect(abs(Double(ours.seconds) + Double(ours.nanoseconds) / 1e9 - reference) < 5)
        #expect((0..<1_000_000_000).contains(ours.nanoseconds))
    }
}

@Suite(.ownThreads) struct ConcurrentLogging {
    @Test func everyLineArrivesWhole() async throws {
        let (logger, sink) = makeLogger()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for index in 0..<500 { logger.info("line", metadata: ["task": .int(task), "i": .int(index)]) }
                }
            }
        }
        let lines = sink.lines
        #expect(lines.count == 16 * 500)
        var seen = Set<String>()
        for line in lines {
            let object = try parse(line)
            seen.insert("\(object["task"]!)/\(object["i"]!)")
        }
        #expect(seen.count == 16 * 500)
    }
}
