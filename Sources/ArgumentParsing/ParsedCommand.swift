/// A successfully parsed command line.
///
/// Accessors take the long name without dashes (`"data-dir"`) or a positional's name. Asking
/// for a name the selected command path does not declare is a programmer error and traps, so
/// a typo cannot silently read as "absent".
public struct ParsedCommand: Sendable, Equatable {
    /// Subcommand names below the root, e.g. `["keys", "rotate"]`; empty for the root itself.
    public let path: [String]
    /// The full command, e.g. `coffer keys rotate`.
    public let commandName: String
    /// The usage block of this command, for errors found after parsing (see `diagnostic(for:)`).
    public let usage: String

    struct Declared: Sendable, Equatable {
        var display: String
        var defaultValue: String?
    }

    /// The long names of every option and flag the command path declares, in declaration order.
    public let settingNames: [String]
    var values: [String: [String]]
    var setFlags: Set<String>
    let declared: [String: Declared]
    let declaredFlags: Set<String>
    /// Values (and flags, set or cleared) that came from somewhere else than the command line.
    var sources: [String: SettingSource] = [:]

    private func entry(_ name: String) -> Declared {
        guard let entry = declared[name] else {
            preconditionFailure("'\(name)' is not an option or argument of '\(commandName)'")
        }
        return entry
    }

    /// The option's or positional's value (the last one given), else the option's default.
    public func string(_ name: String) -> String? {
        values[name]?.last ?? entry(name).defaultValue
    }

    /// Every value given, in order, for a repeatable option or variadic positional; else the
    /// default as a single element, else empty.
    public func strings(_ name: String) -> [String] {
        values[name] ?? entry(name).defaultValue.map { [$0] } ?? []
    }

    /// Whether `name` is a flag (rather than an option) of this command path.
    public func isFlag(_ name: String) -> Bool {
        declaredFlags.contains(name)
    }

    /// Whether the flag was given.
    public func flag(_ name: String) -> Bool {
        precondition(declaredFlags.contains(name), "'\(name)' is not a flag of '\(commandName)'")
        return setFlags.contains(name)
    }

    /// The positional argument's value (the first, for a variadic one).
    public func positional(_ name: String) -> String? {
        precondition(entry(name).display.hasPrefix("<"), "'\(name)' is not a positional of '\(commandName)'")
        return values[name]?.first
    }

    /// Whether the option, flag or positional appeared on the command line (defaults and values
    /// filled from elsewhere don't count).
    public func wasGiven(_ name: String) -> Bool {
        source(of: name) == .commandLine
    }

    /// Where the option's or flag's current value comes from; nil for an option with neither a
    /// value nor a default, and for a flag that is not set by anything.
    public func source(of name: String) -> SettingSource? {
        if let source = sources[name] { return source }
        if declaredFlags.contains(name) { return setFlags.contains(name) ? .commandLine : nil }
        if values[name] != nil { return .commandLine }
        return entry(name).defaultValue == nil ? nil : .defaultValue
    }

    /// Sets an option or flag from another layer of settings (an environment variable, a
    /// configuration file) unless the command line or an earlier `fill` already did: fill from
    /// the most important layer down. A flag takes `true`/`false` (also `yes`/`no`, `on`/`off`,
    /// `1`/`0`); anything else is `.invalidSetting`.
    public mutating func fill(_ name: String, with value: String, from source: SettingSource) throws(ArgumentError) {
        precondition(source != .commandLine && source != .defaultValue, "fill(_:with:from:) is for other layers")
        if declaredFlags.contains(name) {
            guard self.source(of: name) == nil else { return }
            switch value.lowercased() {
            case "true", "yes", "on", "1": setFlags.insert(name)
            case "false", "no", "off", "0": break
            default: throw .invalidSetting(name: name, value: value, source: source, reason: "expected 'true' or 'false'")
            }
        } else {
            guard values[name] == nil else { return }
            _ = entry(name)
            values[name] = [value]
        }
        sources[name] = source
    }

    /// The error for a value of `name` that does not make sense: `.invalidValue` naming the
    /// option when it came from the command line, else `.invalidSetting` naming its source.
    public func invalidValue(_ name: String, _ value: String, reason: String) -> ArgumentError {
        switch source(of: name) {
        case let source? where source != .commandLine && source != .defaultValue:
            .invalidSetting(name: name, value: value, source: source, reason: reason)
        default:
            .invalidValue(option: entry(name).display, value: value, reason: reason)
        }
    }

    /// The value, or `.missingRequiredOption` / `.missingRequiredArgument` when there is none:
    /// for requirements that depend on other arguments.
    public func require(_ name: String) throws(ArgumentError) -> String {
        if let value = string(name) { return value }
        let display = entry(name).display
        throw display.hasPrefix("<") ? .missingRequiredArgument(display) : .missingRequiredOption(display)
    }

    /// The value converted to `T`, `nil` when absent; `.invalidValue` naming the option when it
    /// does not convert.
    public func value<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) throws(ArgumentError) -> T? {
        guard let raw = string(name) else { return nil }
        guard let converted = T(raw) else {
            let reason = switch type {
            case is any UnsignedInteger.Type: "expected a non-negative integer"
            case is any BinaryInteger.Type: "expected an integer"
            case is any FloatingPoint.Type: "expected a number"
            case is Bool.Type: "expected 'true' or 'false'"
            default: "expected a value of type \(T.self)"
            }
            throw invalidValue(name, raw, reason: reason)
        }
        return converted
    }

    /// `value(name, as: Int.self)`.
    public func int(_ name: String) throws(ArgumentError) -> Int? {
        try value(name, as: Int.self)
    }

    /// `Error: <description>` and this command's usage, for stderr (then exit `.usage`).
    public func diagnostic(for error: ArgumentError) -> String {
        "Error: \(error)\n\(usage)"
    }
}
