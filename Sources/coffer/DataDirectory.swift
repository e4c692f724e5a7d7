import Foundation
import VaultCore
import VaultStore

/// Where a vault's files live: `DIR/coffer.db` (+ WAL) and, by default, `DIR/keys/master.key`.
/// Everything is created readable by its owner only.
struct DataDirectory {
    let url: URL

    init(path: String) { url = URL(fileURLWithPath: path, isDirectory: true) }

    var databasePath: String { url.appending(path: "coffer.db").path }
    var defaultMasterKeyURL: URL { url.appending(path: "keys/master.key") }
    var isInitialized: Bool { FileManager.default.fileExists(atPath: databasePath) }

    /// Creates the directory (and `keys/`) with mode 0700, tightening an existing one.
    func create() throws(CLIError) {
        for directory in [url, url.appending(path: "keys")] {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
            } catch {
                throw CLIError.io("cannot create \(directory.path): \(error.localizedDescription)")
            }
        }
    }

    /// Opens the store, applying pending migrations; only `init` may create a new one.
    func openStorage(creating: Bool = false) async throws -> SQLiteStorage {
        guard creating || isInitialized else { throw CLIError.notInitialized(url.path) }
        return try SQLiteStorage.open(path: databasePath)
    }
}

/// Where the master key comes from, in order: `--master-key-file`, `COFFER_MASTER_KEY`, `DIR/keys/master.key`.
enum MasterKeyLocation {
    static let environmentVariable = MasterKey.environmentVariable

    case file(URL)
    case environment(String)

    static func resolve(option: String?, directory: DataDirectory,
                        environment: [String: String] = ProcessInfo.processInfo.environment) -> MasterKeyLocation {
        if let option { return .file(URL(fileURLWithPath: option)) }
        if let value = environment[environmentVariable] { return .environment(value) }
        return .file(directory.defaultMasterKeyURL)
    }

    func load() throws(VaultError) -> MasterKey {
        switch self {
        case .file(let url): try MasterKey.load(from: url)
        case .environment(let value): try MasterKey(encoded: value)
        }
    }
}
