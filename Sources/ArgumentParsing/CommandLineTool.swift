/// What to do with a command line.
public enum ParseOutcome: Sendable, Equatable {
    /// Run the selected command.
    case run(ParsedCommand)
    /// `-h`/`--help` was given (anywhere before `--`): print this to stdout, exit `.success`.
    case help(String)
    /// `--version` was the only argument, for a root that declares a version: print this to
    /// stdout, exit `.success`.
    case version(String)
    /// The command line is wrong: print `message` to stderr, exit `.usage` (64).
    /// `usage` is the usage line of the command reached, plus a pointer to its `--help`; for
    /// `.missingSubcommand` (a group run with no subcommand, including an empty command line
    /// on a root with subcommands) it is that group's full help text instead.
    case failure(ArgumentError, usage: String)

    /// `.success` for `.run`, `.help` and `.version`, `.usage` for `.failure`.
    public var exitCode: ExitCode {
        if case .failure = self { .usage } else { .success }
    }

    /// The text to print: help or version (stdout), or the error (stderr) as `Error: <description>`
    /// followed by the usage; for `.missingSubcommand` just the group's help. `nil` for `.run`.
    public var message: String? {
        switch self {
        case .run: nil
        case .help(let text), .version(let text): text
        case .failure(.missingSubcommand, let usage): usage
        case .failure(let error, let usage): "Error: \(error)\n\(usage)"
        }
    }
}

public enum CommandLineTool {
    /// Parses `arguments` (without the program name, e.g. `CommandLine.arguments.dropFirst()`)
    /// against the tree rooted at `root`, whose name is the program name.
    public static func parse(_ arguments: [String], root: CommandSpec) -> ParseOutcome {
        assert(root.validationProblems().isEmpty, "\(root.validationProblems())")
        if let version = root.version, arguments == ["--version"] { return .version(version) }
        var parser = Parser(path: [root])
        if parser.wantsHelp(arguments) { return .help(Help.text(for: parser.path)) }
        parser = Parser(path: [root])
        do throws(ArgumentError) {
            return .run(try parser.parse(arguments))
        } catch {
            if case .missingSubcommand = error { return .failure(error, usage: Help.text(for: parser.path)) }
            return .failure(error, usage: Help.usageBlock(for: parser.path))
        }
    }
}

private enum Named {
    case option(OptionSpec), flag(FlagSpec), help
}

private func looksLikeOption(_ word: String) -> Bool {
    word.hasPrefix("-") && word != "-"
}

private struct Parser {
    var path: [CommandSpec]
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionalIndex = 0

    var commandName: String { path.map(\.name).joined(separator: " ") }

    func lookup(long: String) -> Named? {
        if long == "help" { return .help }
        for command in path.reversed() {
            if let option = command.options.first(where: { $0.name == long }) { return .option(option) }
            if let flag = command.flags.first(where: { $0.name == long }) { return .flag(flag) }
        }
        return nil
    }

    func lookup(short: Character) -> Named? {
        if short == "h" { return .help }
        for command in path.reversed() {
            if let option = command.options.first(where: { $0.short == short }) { return .option(option) }
            if let flag = command.flags.first(where: { $0.short == short }) { return .flag(flag) }
        }
        return nil
    }

    /// Splits an option word into its spelling (`--name`, `-n`), what it names, and an inline
    /// `=value`; `nil` names an unknown option.
    func resolve(_ word: String) -> (spelling: String, named: Named?, inline: String?) {
        if word.hasPrefix("--") {
            let body = word.dropFirst(2)
            let equals = body.firstIndex(of: "=")
            let name = String(body[..<(equals ?? body.endIndex)])
            return ("--" + name, lookup(long: name), equals.map { String(body[body.index(after: $0)...]) })
        }
        let body = word.dropFirst()
        if body.count == 1, let short = body.first { return (word, lookup(short: short), nil) }
        return (word, nil, nil)
    }

    /// Walks the words before `--` as far down the tree as they lead; true if any is a help
    /// request, leaving `path` at the command whose help to show.
    mutating func wantsHelp(_ words: [String]) -> Bool {
        var wanted = false
        var index = 0
        while index < words.count, words[index] != "--" {
            let word = words[index]
            index += 1
            if looksLikeOption(word) {
                let (_, named, inline) = resolve(word)
                if case .help = named, inline == nil { wanted = true }
                if case .option = named, inline == nil, index < words.count, !looksLikeOption(words[index]) {
                    index += 1
                }
            } else if let sub = path.last!.subcommands.first(where: { $0.name == word }) {
                path.append(sub)
            }
        }
        return wanted
    }

    mutating func parse(_ words: [String]) throws(ArgumentError) -> ParsedCommand {
        var index = 0
        var onlyPositionals = false
        while index < words.count {
            let word = words[index]
            index += 1
            if onlyPositionals || !looksLikeOption(word) {
                let current = path.last!
                if !onlyPositionals, !current.subcommands.isEmpty {
                    guard let sub = current.subcommands.first(where: { $0.name == word }) else {
                        let near = suggestion(for: word, among: current.subcommands.map(\.name))
                        throw .unknownSubcommand(word, command: commandName, suggestion: near)
                    }
                    path.append(sub)
                } else {
                    try addPositional(word)
                }
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            let (spelling, named, inline) = resolve(word)
            switch named {
            case nil:
                throw .unknownOption(spelling, suggestion: suggestOption(for: spelling))
            case .help:
                if let inline { throw .unexpectedValue(flag: spelling, value: inline) }
            case .flag(let flag):
                if let inline { throw .unexpectedValue(flag: spelling, value: inline) }
                guard flags.insert(flag.name).inserted else { throw .repeatedOption("--\(flag.name)") }
            case .option(let option):
                let value: String
                if let inline {
                    value = inline
                } else if index < words.count, !isNamed(words[index]) {
                    value = words[index]
                    index += 1
                } else {
                    throw .missingValue(option: spelling)
                }
                if !option.isRepeatable, values[option.name] != nil { throw .repeatedOption("--\(option.name)") }
                values[option.name, default: []].append(value)
            }
        }
        return try finish()
    }

    /// Whether `word` names something rather than being a value: `--`, or a spelling of an option,
    /// flag or `--help` this command knows. Anything else after an option that takes a value is its
    /// value, a leading dash included: identifiers (`--key -al85…`) and negative numbers are values,
    /// while `--data-dir --dev` still says the directory is missing.
    func isNamed(_ word: String) -> Bool {
        word == "--" || (looksLikeOption(word) && resolve(word).named != nil)
    }

    func suggestOption(for spelling: String) -> String? {
        let names = (path.flatMap { $0.options.map(\.name) + $0.flags.map(\.name) } + ["help"]).sorted()
        let typed = spelling.hasPrefix("--") ? spelling.dropFirst(2) : spelling.dropFirst()
        return suggestion(for: String(typed), among: names).map { "--" + $0 }
    }

    mutating func addPositional(_ word: String) throws(ArgumentError) {
        let specs = path.last!.positionals
        guard positionalIndex < specs.count else { throw .unexpectedArgument(word) }
        let spec = specs[positionalIndex]
        values[spec.name, default: []].append(word)
        if !spec.isVariadic { positionalIndex += 1 }
    }

    func finish() throws(ArgumentError) -> ParsedCommand {
        let leaf = path.last!
        if !leaf.subcommands.isEmpty { throw .missingSubcommand(command: commandName) }
        var declared: [String: ParsedCommand.Declared] = [:]
        for option in path.flatMap(\.options) {
            if option.isRequired, values[option.name] == nil { throw .missingRequiredOption("--\(option.name)") }
            declared[option.name] = .init(display: "--\(option.name)", defaultValue: option.defaultValue)
        }
        for positional in leaf.positionals {
            if positional.isRequired, values[positional.name] == nil {
                throw .missingRequiredArgument("<\(positional.name)>")
            }
            declared[positional.name] = .init(display: "<\(positional.name)>", defaultValue: nil)
        }
        return ParsedCommand(
            path: path.dropFirst().map(\.name), commandName: commandName,
            usage: Help.usageBlock(for: path),
            settingNames: path.flatMap { $0.options.map(\.name) + $0.flags.map(\.name) }, values: values, setFlags: flags,
            declared: declared, declaredFlags: Set(path.flatMap { $0.flags.map(\.name) }))
    }
}
