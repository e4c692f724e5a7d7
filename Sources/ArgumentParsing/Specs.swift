/// One command of a command tree: either a leaf that runs, or a group that only holds
/// subcommands. A group may not declare positional arguments: its first non-option word
/// always names a subcommand.
///
/// Options and flags declared on a command are also accepted, after that command's name, by
/// every command below it (so `--data-dir` declared on the root works in
/// `coffer keys rotate --data-dir DIR`). Names must therefore be unique along every path;
/// `validationProblems()` reports trees that break this or any other rule.
public struct CommandSpec: Sendable, Equatable {
    public var name: String
    /// One line, shown in the parent's subcommand list and as OVERVIEW in help.
    public var abstract: String
    /// Free text shown after the abstract in help; blank lines separate paragraphs.
    public var discussion: String
    public var options: [OptionSpec]
    public var flags: [FlagSpec]
    public var positionals: [PositionalSpec]
    public var subcommands: [CommandSpec]
    /// On the root only: what `PROGRAM --version` (alone) prints.
    public var version: String?

    public init(
        _ name: String, abstract: String = "", discussion: String = "",
        options: [OptionSpec] = [], flags: [FlagSpec] = [], positionals: [PositionalSpec] = [],
        subcommands: [CommandSpec] = [], version: String? = nil
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.flags = flags
        self.positionals = positionals
        self.subcommands = subcommands
        self.version = version
    }

    /// Problems in this tree's declaration (empty when it is sound): duplicate or reserved
    /// names (`help`, `h`), a name shadowing an ancestor's, a required option with a default,
    /// an optional positional before a required one, a variadic positional that is not last,
    /// positionals on a command with subcommands, duplicate subcommand names.
    public func validationProblems() -> [String] {
        problems(inheriting: [], path: name)
    }

    private func problems(inheriting outer: [String], path: String) -> [String] {
        var found: [String] = []
        var seen = Set(outer + ["help"])
        let longs = options.map(\.name) + flags.map(\.name) + positionals.map(\.name)
        for long in longs where !seen.insert(long).inserted {
            found.append("\(path): name '\(long)' is reserved or declared twice on this path")
        }
        let shorts = options.compactMap(\.short) + flags.compactMap(\.short)
        if shorts.contains("h") { found.append("\(path): short name 'h' is reserved for help") }
        if Set(shorts).count != shorts.count { found.append("\(path): duplicate short name") }
        for option in options where option.isRequired && option.defaultValue != nil {
            found.append("\(path): required option '--\(option.name)' has a default")
        }
        if !subcommands.isEmpty && !positionals.isEmpty {
            found.append("\(path): a command with subcommands cannot take positionals")
        }
        for (index, positional) in positionals.enumerated() {
            if positional.isRequired, positionals[..<index].contains(where: { !$0.isRequired }) {
                found.append("\(path): required '\(positional.name)' follows an optional positional")
            }
            if positional.isVariadic && index != positionals.count - 1 {
                found.append("\(path): variadic '\(positional.name)' is not the last positional")
            }
        }
        if Set(subcommands.map(\.name)).count != subcommands.count {
            found.append("\(path): duplicate subcommand name")
        }
        let inherited = outer + options.map(\.name) + flags.map(\.name)
        for sub in subcommands {
            found += sub.problems(inheriting: inherited, path: "\(path) \(sub.name)")
        }
        return found
    }
}

/// An option that takes a value: `--data-dir DIR`, `--data-dir=DIR` or `-d DIR`.
///
/// In the separate-word forms the value may not start with `-` (except `-` alone), so that a
/// forgotten value is reported rather than swallowing the next option; pass such values as
/// `--name=-value`.
public struct OptionSpec: Sendable, Equatable {
    /// Long name without dashes, e.g. `data-dir`; also the key for `ParsedCommand` accessors.
    public var name: String
    public var short: Character?
    /// Placeholder in help and usage, e.g. `DIR` shows as `--data-dir <DIR>`.
    public var valueName: String
    public var help: String
    /// Shown in help and returned by `ParsedCommand.string(_:)` when the option is absent.
    public var defaultValue: String?
    public var isRequired: Bool
    /// Whether it may be given more than once; otherwise a repeat is `.repeatedOption`.
    public var isRepeatable: Bool

    public init(
        _ name: String, short: Character? = nil, valueName: String = "value", help: String = "",
        defaultValue: String? = nil, isRequired: Bool = false, isRepeatable: Bool = false
    ) {
        self.name = name
        self.short = short
        self.valueName = valueName
        self.help = help
        self.defaultValue = defaultValue
        self.isRequired = isRequired
        self.isRepeatable = isRepeatable
    }
}

/// A boolean switch: `--dev` or `-v`. It takes no value (`--dev=1` is an error) and may be
/// given at most once.
public struct FlagSpec: Sendable, Equatable {
    public var name: String
    public var short: Character?
    public var help: String

    public init(_ name: String, short: Character? = nil, help: String = "") {
        self.name = name
        self.short = short
        self.help = help
    }
}

/// A positional argument of a leaf command, filled in declaration order. A variadic one (last
/// only) takes every remaining word; read it with `ParsedCommand.strings(_:)`. A word that
/// starts with `-` is only a positional after `--`.
public struct PositionalSpec: Sendable, Equatable {
    public var name: String
    public var help: String
    public var isRequired: Bool
    public var isVariadic: Bool

    public init(_ name: String, help: String = "", isRequired: Bool = true, isVariadic: Bool = false) {
        self.name = name
        self.help = help
        self.isRequired = isRequired
        self.isVariadic = isVariadic
    }
}

/// A process exit status, with the conventional values of `sysexits.h`.
public struct ExitCode: RawRepresentable, Sendable, Hashable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public static let success = ExitCode(0)
    public static let failure = ExitCode(1)
    /// EX_USAGE: the command line was wrong (every `ParseOutcome.failure`).
    public static let usage = ExitCode(64)
    /// EX_DATAERR: the input data was wrong.
    public static let dataError = ExitCode(65)
    /// EX_UNAVAILABLE: a service or resource is unavailable.
    public static let unavailable = ExitCode(69)
    /// EX_SOFTWARE: an internal error.
    public static let software = ExitCode(70)
    /// EX_TEMPFAIL: a temporary failure; running the command again later may succeed.
    public static let temporaryFailure = ExitCode(75)
    /// EX_CONFIG: configuration error.
    public static let config = ExitCode(78)
}
