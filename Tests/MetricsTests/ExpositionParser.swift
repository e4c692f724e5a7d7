/// A tiny, strict parser for the text exposition format 0.0.4, written for the tests: every
/// line must be `# HELP name text`, `# TYPE name type`, or `name[{labels}] value`, with the
/// escapes and value spellings Prometheus accepts; a family's TYPE precedes its samples.
struct ParsedSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
}

struct ParsedExposition {
    var help: [String: String] = [:]
    var types: [String: String] = [:]
    var samples: [ParsedSample] = []
}

struct ParseError: Error, CustomStringConvertible {
    var line: String
    var reason: String
    var description: String { "\(reason): \(line)" }
}

func parseExposition(_ text: String) throws -> ParsedExposition {
    var result = ParsedExposition()
    guard !text.isEmpty else { return result }
    guard text.hasSuffix("\n") else { throw ParseError(line: "", reason: "no trailing newline") }
    for line in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        if line.hasPrefix("# HELP ") {
            let rest = line.dropFirst(7)
            guard let space = rest.firstIndex(of: " ") else { throw ParseError(line: line, reason: "HELP without text") }
            let name = String(rest[..<space])
            guard isMetricName(name), result.help[name] == nil else { throw ParseError(line: line, reason: "bad or repeated HELP") }
            result.help[name] = try unescape(rest[rest.index(after: space)...], quotes: false, line: line)
        } else if line.hasPrefix("# TYPE ") {
            let parts = line.dropFirst(7).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, isMetricName(String(parts[0])),
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1]),
                result.types[String(parts[0])] == nil
            else { throw ParseError(line: line, reason: "bad TYPE") }
            guard !result.samples.contains(where: { family(of: $0.name, in: result.types) == String(parts[0]) })
            else { throw ParseError(line: line, reason: "TYPE after samples") }
            result.types[String(parts[0])] = String(parts[1])
        } else if line.hasPrefix("#") {
            throw ParseError(line: line, reason: "unexpected comment")
        } else {
            let sample = try parseSample(line)
            guard family(of: sample.name, in: result.types) != nil else {
                throw ParseError(line: line, reason: "sample without TYPE")
            }
            result.samples.append(sample)
        }
    }
    return result
}

/// The family a sample name belongs to: itself, or a histogram's `_bucket`/`_sum`/`_count`.
func family(of sample: String, in types: [String: String]) -> String? {
    if types[sample] != nil { return sample }
    for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
        let base = String(sample.dropLast(suffix.count))
        if types[base] == "histogram" { return base }
    }
    return nil
}

private func parseSample(_ line: String) throws -> ParsedSample {
    let characters = Array(line)
    var index = 0
    var name = ""
    while index < characters.count, characters[index] != "{", characters[index] != " " {
        name.append(characters[index])
        index += 1
    }
    guard isMetricName(name) else { throw ParseError(line: line, reason: "bad metric name") }
    var labels: [String: String] = [:]
    if index < characters.count, characters[index] == "{" {
        index += 1
        while true {
            guard index < characters.count else { throw ParseError(line: line, reason: "unterminated labels") }
            if characters[index] == "}" {
                index += 1
                break
            }
            var labelName = ""
            while index < characters.count, characters[index] != "=" {
                labelName.append(characters[index])
                index += 1
            }
            guard isLabelName(labelName), labels[labelName] == nil else { throw ParseError(line: line, reason: "bad label name") }
            guard index + 1 < characters.count, characters[index] == "=", characters[index + 1] == "\"" else {
                throw ParseError(line: line, reason: "expected =\"")
            }
            index += 2
            var raw = ""
            while true {
                guard index < characters.count else { throw ParseError(line: line, reason: "unterminated value") }
                let character = characters[index]
                if character == "\"" { break }
                raw.append(character)
                if character == "\\" {
                    index += 1
                    guard index < characters.count else { throw ParseError(line: line, reason: "dangling escape") }
                    raw.append(characters[index])
                }
                index += 1
            }
            labels[labelName] = try unescape(Substring(raw), quotes: true, line: line)
            index += 1
            guard index < characters.count else { throw ParseError(line: line, reason: "unterminated labels") }
            if characters[index] == "," { index += 1 } else if characters[index] != "}" {
                throw ParseError(line: line, reason: "expected , or }")
            }
        }
    }
    guard index < characters.count, characters[index] == " " else { throw ParseError(line: line, reason: "expected space") }
    let valueText = String(characters[(index + 1)...])
    guard let value = parseValue(valueText) else { throw ParseError(line: line, reason: "bad value") }
    return ParsedSample(name: name, labels: labels, value: value)
}

func parseValue(_ text: String) -> Double? {
    switch text {
    case "+Inf": return .infinity
    case "-Inf": return -.infinity
    case "NaN": return .nan
    default:
        guard !text.isEmpty, text.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
        return Double(text)
    }
}

private func unescape(_ text: Substring, quotes: Bool, line: String) throws -> String {
    var output = ""
    var iterator = text.makeIterator()
    while let character = iterator.next() {
        if character == "\n" { throw ParseError(line: line, reason: "raw newline") }
        if quotes, character == "\"" { throw ParseError(line: line, reason: "raw quote") }
        guard character == "\\" else {
            output.append(character)
            continue
        }
        switch iterator.next() {
        case "\\": output.append("\\")
        case "n": output.append("\n")
        case "\"" where quotes: output.append("\"")
        default: throw ParseError(line: line, reason: "bad escape")
        }
    }
    return output
}

func isMetricName(_ name: String) -> Bool {
    guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
    return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
}

func isLabelName(_ name: String) -> Bool {
    guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
    return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
}
