import Executors
import Foundation
import VaultCore
import VaultStore

/// Where a vault's files live: `DIR/coffer.db` (+ WAL), and in development `DIR/keys/master.key`.
/// Everything is created readable by its owner only.
struct DataDirectory {
    let url: URL

    init(path: String) { url = URL(fileURLWithPath: path, isDirectory: true) }

    var databasePath: String { url.appending(path: "coffer.db").path }
    var defaultMasterKeyURL: URL { url.appending(path: "keys/master.key") }

    /// Whether the directory holds a vault. A directory that cannot be looked into (no
    /// permission, a file in the way) is an error, not "no vault": reporting it as missing would
    /// send the operator to `coffer init`.
    func holdsVault() throws(CLIError) -> Bool {
        var info = stat()
        guard stat(databasePath, &info) != 0 else { return true }
        let code = errno
        guard code == ENOENT else { throw .dataDirectoryInaccessible(url.path, reason: String(cString: strerror(code))) }
        return false
    }

    /// Fails unless the directory holds a vault. Commands check this before they fetch the master
    /// key, so a wrong `--data-dir` is reported as such rather than as a missing key.
    func requireVault() throws(CLIError) {
        guard try holdsVault() else { throw .notInitialized("--data-dir \(url.path)") }
    }

    /// Creates the directory, and `subdirectories` inside it, with mode 0700, tightening existing ones.
    func create(with subdirectories: [URL] = []) throws(CLIError) {
        for directory in [url] + subdirectories {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
            } catch {
                throw CLIError.dataDirectoryInaccessible(directory.path, reason: "cannot create it: \(Self.reason(error))")
            }
        }
    }

    /// The system's reason behind a FileManager error ("Permission denied"), which its own
    /// description leaves out.
    private static func reason(_ error: any Error) -> String {
        guard let cause = (error as? CocoaError)?.underlying as? POSIXError else { return error.localizedDescription }
        return String(cString: strerror(cause.code.rawValue))
    }

    /// Opens the store, applying pending migrations, on a thread of its own (file I/O and a
    /// migration may take a while); only `init` may create a new one.
    func openStorage(creating: Bool = false) async throws -> SQLiteStorage {
        if !creating { try requireVault() }
        return try await PosixThread.run(named: "coffer-db-open") { [databasePath] in try SQLiteStorage.open(path: databasePath) }
    }

    /// Whether `file` lies inside this directory, symbolic links resolved as far as either path
    /// exists (`--master-key-file ./data/../data/k` and a link into the directory count).
    func contains(_ file: URL) -> Bool {
        let directory = Self.canonicalPath(url), path = Self.canonicalPath(file)
        return path == directory || path.hasPrefix(directory == "/" ? "/" : directory + "/")
    }

    /// The absolute path with `.`, `..` and the links of its longest existing prefix resolved.
    private static func canonicalPath(_ url: URL) -> String {
        var existing = url.standardizedFileURL
        var missing: [String] = []
        while existing.path != "/", !FileManager.default.fileExists(atPath: existing.path) {
            missing.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()
        }
        var path = existing.path
        if let resolved = realpath(path, nil) {
            path = String(cString: resolved)
            free(resolved)
        }
        return missing.reduce(path) { $0.hasSuffix("/") ? $0 + $1 : $0 + "/" + $1 }
    }
}
