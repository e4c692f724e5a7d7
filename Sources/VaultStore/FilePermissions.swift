#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VaultCore

/// Keeps the database and its WAL/SHM files readable by their owner only (0600).
///
/// SQLite creates `-wal` and `-shm` with the mode of the database file, so creating the database
/// file 0600 *before* SQLite opens it makes all three 0600 whatever the process umask.
/// (The data directory itself, 0700, is created by the caller.)
enum FilePermissions {
    static let ownerOnly: mode_t = 0o600

    /// Creates `path` empty with mode 0600 if it does not exist; tightens an existing file to 0600.
    static func prepareDatabaseFile(at path: String) throws(StorageError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, ownerOnly)
        guard descriptor >= 0 else {
            throw .unavailable("\(path): cannot open or create the database file: \(systemError())")
        }
        defer { close(descriptor) }
        // The umask may have removed owner bits, and an existing file may be wider: set exactly 0600.
        guard fchmod(descriptor, ownerOnly) == 0 else {
            throw .unavailable("\(path): cannot set mode 0600: \(systemError())")
        }
    }

    /// Tightens leftover `-wal`/`-shm` files (for example from an older copy of the database).
    static func tightenSidecars(of path: String) throws(StorageError) {
        for suffix in ["-wal", "-shm"] {
            let sidecar = path + suffix
            guard let current = mode(of: sidecar), current & 0o777 != ownerOnly else { continue }
            guard chmod(sidecar, ownerOnly) == 0 else {
                throw .unavailable("\(sidecar): cannot set mode 0600: \(systemError())")
            }
        }
    }

    /// The file's `st_mode`, or nil when it does not exist.
    static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode
    }

    static func exists(_ path: String) -> Bool { mode(of: path) != nil }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}
