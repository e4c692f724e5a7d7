/// Generated help and usage text, wrapped at 80 columns (counted in Characters).
enum Help {
    static let width = 80

    /// OVERVIEW (abstract), discussion, USAGE, ARGUMENTS, OPTIONS (inherited ones included,
    /// sorted by long name, help last) and SUBCOMMANDS (declaration order, with abstracts).
    static func text(for path: [CommandSpec]) -> String {
        let command = path.last!
        let name = path.map(\.name).joined(separator: " ")
        var lines: [String] = []
        if !command.abstract.isEmpty {
            lines += wrap(words(command.abstract), first: "OVERVIEW: ", rest: spaces(10)) + [""]
        }
        if !command.discussion.isEmpty {
            for line in command.discussion.split(separator: "\n", omittingEmptySubsequences: false) {
                let indent = String(line.prefix(while: { $0 == " " }))
                lines += wrap(words(line), first: indent, rest: indent)
            }
            lines.append("")
        }
        lines += usageLines(for: path, prefix: "USAGE: ")
        if !command.positionals.isEmpty {
            lines += ["", "ARGUMENTS:"] + table(command.positionals.map { ("<\($0.name)>" + ($0.isVariadic ? " ..." : ""), $0.help) })
        }
        let options = path.flatMap(\.options).map { option in
            let label = (option.short.map { "-\($0), " } ?? "") + "--\(option.name) <\(option.valueName)>"
            let notes = (option.defaultValue.map { " (default: \($0))" } ?? "") + (option.isRepeatable ? " (repeatable)" : "")
            return (name: option.name, label: label, help: option.help + notes)
        }
        let flags = path.flatMap(\.flags).map { flag in
            (name: flag.name, label: (flag.short.map { "-\($0), " } ?? "") + "--\(flag.name)", help: flag.help)
        }
        let rows = (options + flags).sorted { $0.name < $1.name }.map { ($0.label, $0.help) }
        let version = path.count == 1 && command.version != nil ? [("--version", "Show the version and exit.")] : []
        lines += ["", "OPTIONS:"] + table(rows + version + [("-h, --help", "Show help information.")])
        if !command.subcommands.isEmpty {
            lines += ["", "SUBCOMMANDS:"] + table(command.subcommands.map { ($0.name, $0.abstract) })
            lines += ["", "  See '\(name) <subcommand> --help' for detailed help."]
        }
        return lines.joined(separator: "\n")
    }

    /// `Usage: …` and a pointer to `--help`, shown under error messages.
    static func usageBlock(for path: [CommandSpec]) -> String {
        let name = path.map(\.name).joined(separator: " ")
        return (usageLines(for: path, prefix: "Usage: ") + ["  See '\(name) --help' for more information."])
            .joined(separator: "\n")
    }

    /// Command path, required options, `[<options>]` if there are others, positionals
    /// (`[…]` when optional, `…` when variadic), `<subcommand>` for a group.
    static func usageLines(for path: [CommandSpec], prefix: String) -> [String] {
        let command = path.last!
        let options = path.flatMap(\.options)
        var units = path.map(\.name)
        for option in options where option.isRequired {
            units.append("--\(option.name) <\(option.valueName)>" + (option.isRepeatable ? " ..." : ""))
        }
        if options.contains(where: { !$0.isRequired }) || path.contains(where: { !$0.flags.isEmpty }) {
            units.append("[<options>]")
        }
        for positional in command.positionals {
            let unit = "<\(positional.name)>" + (positional.isVariadic ? " ..." : "")
            units.append(positional.isRequired ? unit : "[\(unit)]")
        }
        if !command.subcommands.isEmpty { units.append("<subcommand>") }
        return wrap(units, first: prefix, rest: spaces(prefix.count + 2))
    }

    /// Two columns: labels indented 2, help text 4 after the widest label (at most 24 wide, so
    /// help starts by column 30; a longer label puts its help on the next line).
    static func table(_ rows: [(label: String, help: String)]) -> [String] {
        let labelWidth = min(rows.map(\.label.count).max() ?? 0, 24)
        let pad = spaces(labelWidth + 6)
        var lines: [String] = []
        for row in rows {
            let helpWords = words(row.help)
            if row.label.count > labelWidth || helpWords.isEmpty {
                lines.append("  " + row.label)
                if !helpWords.isEmpty { lines += wrap(helpWords, first: pad, rest: pad) }
            } else {
                let first = "  " + row.label + spaces(labelWidth - row.label.count + 4)
                lines += wrap(helpWords, first: first, rest: pad)
            }
        }
        return lines
    }

    /// Greedy word wrap; a word longer than the line is left whole on a line of its own.
    static func wrap(_ words: [String], first: String, rest: String) -> [String] {
        var lines: [String] = []
        var line = first
        var lineHasWord = false
        for word in words {
            if lineHasWord, line.count + 1 + word.count > width {
                lines.append(line)
                line = rest
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines.map { String($0.reversed().drop(while: { $0 == " " }).reversed()) }
    }

    static func words(_ text: some StringProtocol) -> [String] {
        String(text).split(whereSeparator: \.isWhitespace).map { String($0) }
    }

    static func spaces(_ count: Int) -> String {
        String(repeating: " ", count: max(count, 0))
    }
}
