import Foundation

/// A configuration file of `key = value` lines, parsed strictly so that a typo is an error
/// rather than a setting silently ignored.
///
/// - A line whose first non-blank character is `#` is a comment; blank lines are skipped.
/// - Otherwise the line is `key = value`: the key is a long option name without dashes
///   (`listen`), the value everything after the first `=`, blanks around both trimmed. A `#`
///   inside a value is part of it (a shell command may contain one).
/// - Each key at most once; keys outside `keys` are refused, with the nearest one suggested.
public struct ConfigFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        /// 1-based.
        public var line: Int
    }

    public let path: String
    public let entries: [Entry]

    /// Reads and parses the file at `path`.
    public static func load(path: String, keys: [String]) throws(ConfigFileError) -> ConfigFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? "it cannot be read"
            throw ConfigFileError(path: path, line: nil, problem: .unreadable(reason))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigFileError(path: path, line: nil, problem: .notUTF8)
        }
        return try parse(text, path: path, keys: keys)
    }

    /// Parses `text`; `path` names the file in errors and sources.
    public static func parse(_ text: String, path: String, keys: [String]) throws(ConfigFileError) -> ConfigFile {
        var entries: [Entry] = []
        // `\r\n` is one Character, and a newline: CRLF files count lines like LF ones.
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            func fail(_ problem: ConfigFileError.Problem) -> ConfigFileError {
                ConfigFileError(path: path, line: number, problem: problem)
            }
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else { throw fail(.notKeyValue) }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw fail(.notKeyValue) }
            guard keys.contains(key) else { throw fail(.unknownKey(key, suggestion: suggestion(for: key, among: keys))) }
            if let first = entries.first(where: { $0.key == key }) { throw fail(.repeatedKey(key, firstLine: first.line)) }
            guard !value.isEmpty else { throw fail(.missingValue(key)) }
            entries.append(Entry(key: key, value: value, line: number))
        }
        return ConfigFile(path: path, entries: entries)
    }
}

/// A configuration file that cannot be used, with the file and (for a bad line) the line.
public struct ConfigFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong; the cases are stable, match on them.
    public enum Problem: Sendable, Equatable {
        case unreadable(String)
        case notUTF8
        /// Neither a comment, blank, nor `key = value` with a key.
        case notKeyValue
        case unknownKey(String, suggestion: String?)
        case repeatedKey(String, firstLine: Int)
        case missingValue(String)
    }

    public var path: String
    public var line: Int?
    public var problem: Problem

    /// `PATH:LINE: what is wrong`, user text quoted on one line.
    public var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        let reason = switch problem {
        case .unreadable(let reason): "cannot be read: \(reason)"
        case .notUTF8: "is not UTF-8 text"
        case .notKeyValue: "expected 'key = value' or a '#' comment"
        case .unknownKey(let key, let near):
            "unknown key \(quoted(key))" + (near.map { ", did you mean \(quoted($0))?" } ?? "")
        case .repeatedKey(let key, let first): "\(quoted(key)) is already set on line \(first)"
        case .missingValue(let key): "\(quoted(key)) has no value"
        }
        return "\(place): \(reason)"
    }
}
