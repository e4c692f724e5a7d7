import ArgumentParsing
import Foundation
import VaultCore
import VaultCrypto

/// Where a command's master key comes from, in this order of precedence:
/// 1. the command line: `--master-key-file FILE` or `--master-key-command CMD`;
/// 2. the environment: `COFFER_MASTER_KEY` (the key itself), `COFFER_MASTER_KEY_FILE` or
///    `COFFER_MASTER_KEY_COMMAND`;
/// 3. `serve`'s configuration file: `master-key-file` or `master-key-command`;
/// 4. `DIR/keys/master.key`, where `init --master-key-in-data-dir` and `serve --dev` keep it
///    (never for a PostgreSQL vault, which has no directory and never holds the key).
///
/// Two sources on one level are refused rather than one silently winning.
enum MasterKeySource {
    case file(URL)
    /// A shell command that prints the key, and how long it may take.
    case command(String, timeout: Duration)
    /// `COFFER_MASTER_KEY`'s value, taken from the environment at start-up.
    case environment(SecretBytes)

    /// The source the command line, the environment or the configuration file names; nil when none does.
    static func given(_ command: ParsedCommand, _ launch: LaunchEnvironment) throws -> MasterKeySource? {
        if let source = try named(by: command, from: { $0 == .commandLine }) { return source }
        let environment: [(String, MasterKeySource)] = [
            launch.masterKey.map { (LaunchEnvironment.masterKeyVariable, .environment($0)) },
            launch.masterKeyFile.map { (LaunchEnvironment.masterKeyFileVariable, .file(URL(fileURLWithPath: $0))) },
            try launch.masterKeyCommand.map { (LaunchEnvironment.masterKeyCommandVariable, .command($0, timeout: try timeout(command))) },
        ].compactMap { $0 }
        guard environment.count < 2 else {
            throw CLIError.conflictingMasterKeySources(environment[0].0, environment[1].0)
        }
        if let (_, source) = environment.first { return source }
        return try named(by: command) { if case .file? = $0 { true } else { false } }
    }

    /// The source given by `--PREFIX-file` or `--PREFIX-command` (`master-key`, or `new-master-key`
    /// for the key a rotation moves to) where their values come from a source `accepted` takes;
    /// nil when neither is.
    static func named(by command: ParsedCommand, prefix: String = "master-key",
                      from accepted: (SettingSource?) -> Bool = { $0 == .commandLine }) throws -> MasterKeySource? {
        let (fileName, commandName) = ("\(prefix)-file", "\(prefix)-command")
        let path = accepted(command.source(of: fileName)) ? command.string(fileName) : nil
        let shell = accepted(command.source(of: commandName)) ? command.string(commandName) : nil
        switch (path, shell) {
        case (let path?, nil): return .file(URL(fileURLWithPath: path))
        case (nil, let shell?): return .command(shell, timeout: try timeout(command))
        case (nil, nil): return nil
        case (_?, _?):
            let names = [fileName, commandName].map { name in
                command.source(of: name) == .commandLine ? "--\(name)" : "\(name) (\(command.source(of: name)!))"
            }
            throw CLIError.conflictingMasterKeySources(names[0], names[1])
        }
    }

    /// For commands that open an existing vault: the key given, else the one in the data
    /// directory. A PostgreSQL vault has no directory: its key must be given.
    static func resolve(_ command: ParsedCommand, _ launch: LaunchEnvironment,
                        location: StorageLocation) throws -> MasterKeySource {
        if let source = try given(command, launch) { return source }
        guard let keyFile = location.dataDirectory?.defaultMasterKeyURL,
              FileManager.default.fileExists(atPath: keyFile.path) else { throw CLIError.noMasterKey }
        return .file(keyFile)
    }

    private static func timeout(_ command: ParsedCommand) throws -> Duration {
        guard let seconds = try command.int("master-key-command-timeout") else { return KeyCommand.defaultTimeout }
        guard seconds > 0 else {
            throw command.invalidValue("master-key-command-timeout", String(seconds),
                                       reason: "expected a positive number of seconds")
        }
        return .seconds(seconds)
    }

    func load() async throws -> MasterKey {
        switch self {
        case .file(let url): try MasterKey.load(from: url)
        case .command(let shell, let timeout): try MasterKey(encoded: await KeyCommand.run(shell, timeout: timeout))
        case .environment(let text): try MasterKey(encoded: text)
        }
    }

    /// A key file that does not exist yet, which `create` would write.
    var fileToCreate: URL? {
        guard case .file(let url) = self, !FileManager.default.fileExists(atPath: url.path) else { return nil }
        return url
    }

    /// Loads the key, or for a file that does not exist yet generates one and writes it there
    /// (mode 0600, never overwriting), saying so on stderr.
    func loadOrCreate() async throws -> MasterKey {
        guard let url = fileToCreate else { return try await load() }
        let key = MasterKey.generate()
        try key.write(to: url)
        Output.note("created master key \(url.path) (mode 0600): back it up, and keep it off the data volume")
        return key
    }

    /// Refuses a key file inside the data directory unless the operator accepted that: a copy of
    /// the directory (a backup, a stolen disk) would then hold the key beside what it protects.
    func refusingDataDirectory(_ directory: DataDirectory?, unless allowed: Bool) throws(CLIError) -> MasterKeySource {
        if case .file(let url) = self, !allowed, directory?.contains(url) == true {
            throw .masterKeyInDataDirectory(url.path)
        }
        return self
    }
}
