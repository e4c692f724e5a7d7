/// Where the value of an option or flag came from. A command that also reads settings from the
/// environment or a configuration file (`ParsedCommand.fill`) says so in errors and
/// `--print-config`, so an operator can find the line to change.
public enum SettingSource: Sendable, Hashable, CustomStringConvertible {
    case commandLine
    /// The environment variable's name, e.g. `COFFER_LISTEN`.
    case environment(String)
    case file(path: String, line: Int)
    /// The option's declared default.
    case defaultValue

    public var description: String {
        switch self {
        case .commandLine: "command line"
        case .environment(let variable): "environment \(variable)"
        case .file(let path, let line): "\(path):\(line)"
        case .defaultValue: "default"
        }
    }
}
