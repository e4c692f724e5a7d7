/// Failures of a storage engine, independent of the engine, so the vault can map them to its own errors.
public enum StorageError: Error, Equatable, Sendable {
    /// A uniqueness or foreign-key rule refused the write; nothing was changed.
    case constraintViolation(String)
    /// The engine is closed, busy beyond its timeout, or the disk refused the write.
    case unavailable(String)
    /// Stored data does not have the shape the schema promises.
    case corrupt(String)
    /// The schema on disk does not match this binary's migrations.
    case migration(String)

    public var code: String {
        switch self {
        case .constraintViolation: "storage_conflict"
        case .unavailable: "storage_unavailable"
        case .corrupt: "storage_corrupt"
        case .migration: "storage_migration"
        }
    }

    /// The engine's explanation — the file, table or migration concerned and the engine's own
    /// error text — for operators; it never contains a stored or bound value.
    public var message: String {
        switch self {
        case .constraintViolation(let message), .unavailable(let message), .corrupt(let message),
             .migration(let message):
            message
        }
    }
}
