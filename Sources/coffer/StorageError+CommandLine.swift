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
        case .busy(let message):
            "the database stayed locked by another process: \(message) (\(code)); run the command again in a moment"
        case .serializationFailure(let message):
            "the write kept colliding with other writers: \(message) (\(code)); run the command again in a moment"
        case .corrupt(let message):
            "the database is damaged or not a coffer database: \(message) (\(code)); check --data-dir, or restore a backup"
        case .migration(let message):
            "\(message) (\(code))"
        case .uniqueViolation(_, let message):
            "the store refused the write, the key is taken: \(message) (\(code))"
        case .integrityViolation(let message):
            "the store refused the write, an integrity rule failed: \(message) (\(code)); please report this as a bug"
        }
    }

    /// sysexits: contention is EX_TEMPFAIL (run again), an integrity failure EX_SOFTWARE (a bug).
    var exitCode: ExitCode {
        switch self {
        case .unavailable: .unavailable
        case .busy, .serializationFailure: .temporaryFailure
        case .corrupt: .dataError
        case .migration: .config
        case .uniqueViolation: .failure
        case .integrityViolation: .software
        }
    }
}
