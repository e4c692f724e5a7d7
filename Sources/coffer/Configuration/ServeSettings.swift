import ArgumentParsing
import Logging

/// `coffer serve`'s settings from outside its command line: every option and flag also from an
/// environment variable (`COFFER_` and its name in capitals, `-` as `_`) and from the
/// `--config FILE` (`key = value`, see `ConfigFile`). A flag beats the environment, which beats
/// the file, which beats the default.
///
/// The master key's own variables keep their rules (`MasterKeySource`): `COFFER_MASTER_KEY_FILE`
/// and `COFFER_MASTER_KEY_COMMAND` are read there, beside `COFFER_MASTER_KEY`.
enum ServeSettings {
    /// Not settings: where the file is cannot come from the file, and printing is an action.
    private static let notInFile: Set = ["config", "print-config"]
    private static let notInEnvironment: Set = ["print-config"]
    /// Values never printed: a master-key command may carry a token.
    static let secretNames: Set = ["master-key-command"]
    /// Database URIs, printed with their password masked (`DatabaseURI.masked`).
    static let uriNames: Set = ["database", "read-database"]

    static func variable(for name: String) -> String {
        "COFFER_" + name.uppercased().replacing("-", with: "_")
    }

    /// `command` with what the environment, then the configuration file, add to it.
    static func layered(_ command: ParsedCommand, environment: [String: String]) throws -> ParsedCommand {
        var command = command
        for name in command.settingNames where !notInEnvironment.contains(name) {
            let variable = variable(for: name)
            if let value = environment[variable] { try command.fill(name, with: value, from: .environment(variable)) }
        }
        if let path = command.string("config") {
            let keys = command.settingNames.filter { !notInFile.contains($0) }
            for entry in try ConfigFile.load(path: path, keys: keys).entries {
                try command.fill(entry.key, with: entry.value, from: .file(path: path, line: entry.line))
            }
        }
        return command
    }

    /// `--log-level`: the least severe level the logger writes.
    static func logLevel(_ command: ParsedCommand) throws -> LogLevel {
        let text = try command.require("log-level")
        guard let level = LogLevel(text) else {
            throw command.invalidValue("log-level", text, reason: "expected debug, info, warning or error")
        }
        return level
    }

    /// One `key = value  # source` line per setting, secrets masked, for `--print-config`.
    static func printed(_ command: ParsedCommand, _ launch: LaunchEnvironment) -> String {
        var rows: [(key: String, value: String, source: String)] = []
        for name in command.settingNames where name != "print-config" {
            let source = command.source(of: name)
            let value: String
            if command.isFlag(name) {
                value = command.flag(name) ? "true" : "false"
            } else if let text = command.string(name) {
                value = secretNames.contains(name) ? masked : uriNames.contains(name) ? DatabaseURI.masked(text) : text
            } else {
                value = "(unset)"
            }
            rows.append((name, value, source.map(\.description) ?? "default"))
        }
        if launch.masterKey != nil {
            rows.append(("master-key", masked, SettingSource.environment(LaunchEnvironment.masterKeyVariable).description))
        }
        let width = rows.map(\.key.count).max() ?? 0
        let valueWidth = min(rows.map(\.value.count).max() ?? 0, 40)
        return rows.map { row in
            row.key.padding(toLength: width, withPad: " ", startingAt: 0) + " = "
                + row.value.padding(toLength: max(valueWidth, row.value.count), withPad: " ", startingAt: 0) + "  # " + row.source
        }.joined(separator: "\n")
    }

    private static let masked = "********"
}
