import ArgumentParsing
import VaultCore

/// A store failure as a command reports it: the engine's message (the database file and the
/// engine's or the system's reason, never data), its code, and what to do.
extension StorageError {
    var commandLineMessage: String {
        switch self {
        case .unavailable(let message):
            """
            the database cannot be used: \(message) (\(code)); check that the user running coffer may read and \
            write the data directory and that its disk has room
            """
        case .corrupt(let message):
            "the database is damaged or not a coffer database: \(message) (\(code)); check --data-dir, or restore a backup"
        case .migration(let message):
            "\(message) (\(code))"
        case .constraintViolation(let message):
            "the store refused the write: \(message) (\(code))"
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .unavailable: .unavailable
        case .corrupt: .dataError
        case .migration: .config
        case .constraintViolation: .failure
        }
    }
}
