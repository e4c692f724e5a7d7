/// Text exposition format 0.0.4 helpers.
enum Exposition {
    /// A sample value: `+Inf`, `-Inf`, `NaN` as Prometheus spells them; integral values below
    /// 2^53 without a fraction (`42`, not `42.0`); anything else in Swift's shortest round-trip
    /// form (`0.005`, `1e-05`, `1.5e+20`), which Prometheus's parser reads back exactly.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value.rounded(.towardZero) == value, value.magnitude < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return value.description
    }

    /// `# HELP` text: backslash and line feed escaped.
    static func escapeHelp(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escapeLabelValue(_ text: String) -> String {
        let special = text.utf8.contains {
            $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\"")
        }
        guard special else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// `{a="x",b="y"}` (with `extra` last, for `le`), or `""` when there are no labels at all.
    static func labelSet(names: [String], values: [String], extra: (name: String, value: String)? = nil) -> String {
        if names.isEmpty && extra == nil { return "" }
        var text = "{"
        for (index, name) in names.enumerated() {
            if index > 0 { text += "," }
            text += name
            text += "=\""
            text += escapeLabelValue(values[index])
            text += "\""
        }
        if let extra {
            if !names.isEmpty { text += "," }
            text += extra.name
            text += "=\""
            text += extra.value
            text += "\""
        }
        text += "}"
        return text
    }

    /// `# HELP` (left out when `help` is empty) and `# TYPE`.
    static func header(into output: inout String, name: String, help: String, type: String) {
        if !help.isEmpty {
            output += "# HELP "
            output += name
            output += " "
            output += escapeHelp(help)
            output += "\n"
        }
        output += "# TYPE "
        output += name
        output += " "
        output += type
        output += "\n"
    }

    static func sample(into output: inout String, name: String, labels: String, value: String) {
        output += name
        output += labels
        output += " "
        output += value
        output += "\n"
    }
}
