/// A command-line mistake. Option names are carried as the user should type them (`--data-dir`,
/// or `-d` when that was used), positionals as `<name>`. The cases are stable; match on them.
public enum ArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `suggestion` is the closest declared option within edit distance 2, e.g. `--data-dir`.
    case unknownOption(String, suggestion: String?)
    case missingValue(option: String)
    /// A flag given a value, e.g. `--dev=1`.
    case unexpectedValue(flag: String, value: String)
    case missingRequiredOption(String)
    case missingRequiredArgument(String)
    /// A positional word the command has no room for.
    case unexpectedArgument(String)
    /// `command` is the full command name, e.g. `coffer keys`.
    case unknownSubcommand(String, command: String, suggestion: String?)
    /// A command that only groups subcommands was run without one.
    case missingSubcommand(command: String)
    /// A non-repeatable option or a flag given twice.
    case repeatedOption(String)
    case invalidValue(option: String, value: String, reason: String)
    /// A value from outside the command line (`ParsedCommand.fill`) that does not make sense:
    /// a configuration mistake rather than a usage one.
    case invalidSetting(name: String, value: String, source: SettingSource, reason: String)

    /// One line for stderr; user-supplied text is quoted with control characters escaped.
    public var description: String {
        switch self {
        case .unknownOption(let name, let suggestion):
            "Unknown option \(quoted(name))." + didYouMean(suggestion)
        case .missingValue(let option):
            "Missing value for option \(quoted(option))."
        case .unexpectedValue(let flag, let value):
            "Flag \(quoted(flag)) does not take a value (got \(quoted(value)))."
        case .missingRequiredOption(let option):
            "Missing required option \(quoted(option))."
        case .missingRequiredArgument(let name):
            "Missing required argument \(quoted(name))."
        case .unexpectedArgument(let word):
            "Unexpected argument \(quoted(word))."
        case .unknownSubcommand(let word, let command, let suggestion):
            "Unknown subcommand \(quoted(word)) for \(quoted(command))." + didYouMean(suggestion)
        case .missingSubcommand(let command):
            "Missing subcommand for \(quoted(command))."
        case .repeatedOption(let option):
            "Option \(quoted(option)) was given more than once."
        case .invalidValue(let option, let value, let reason):
            "Invalid value \(quoted(value)) for \(quoted(option)): \(reason)."
        case .invalidSetting(let name, let value, let source, let reason):
            "Invalid value \(quoted(value)) for \(quoted(name)) (\(source)): \(reason)."
        }
    }

    /// `.config` for `.invalidSetting`, else `.usage`.
    public var exitCode: ExitCode {
        if case .invalidSetting = self { .config } else { .usage }
    }
}

private func didYouMean(_ suggestion: String?) -> String {
    suggestion.map { " Did you mean \(quoted($0))?" } ?? ""
}

/// Single-quoted, with control characters (newlines, escapes) escaped so it stays on one line.
func quoted(_ text: String) -> String {
    var out = "'"
    for scalar in text.unicodeScalars {
        if scalar.properties.generalCategory == .control {
            out += scalar.escaped(asASCII: true)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out + "'"
}

/// The candidate closest to `word` within edit distance 2 (ties: first in `candidates`), and
/// nearer than `word`'s own length, so a one-letter typo never "suggests" an unrelated name.
func suggestion(for word: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(word, candidate)
        if distance <= 2, distance < word.count, distance < (best?.distance ?? .max) {
            best = (candidate, distance)
        }
    }
    return best?.name
}

/// Levenshtein distance over Characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in a.indices {
        var current = [i + 1]
        for j in b.indices {
            let substitution = previous[j] + (a[i] == b[j] ? 0 : 1)
            current.append(min(previous[j + 1] + 1, current[j] + 1, substitution))
        }
        previous = current
    }
    return previous[b.count]
}
