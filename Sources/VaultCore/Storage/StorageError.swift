/// Failures of a storage engine, independent of the engine, so the vault decides on what happened
/// — never on an engine's message text. Each case has a stable `code`; no message ever contains a
/// stored or bound value.
public enum StorageError: Error, Equatable, Sendable {
    /// A unique key is taken (the same key stored twice): a conflict the caller may expect.
    /// `key` names which one — PostgreSQL's constraint (`cards_pkey`), SQLite's columns
    /// (`cards.token`) — for a caller that needs to tell keys apart. Nothing was changed.
    case uniqueViolation(key: String, message: String)
    /// Another integrity rule (foreign key, not null, check, append-only) refused the write: a bug
    /// or a record still in use, not a client conflict. Nothing was changed.
    case integrityViolation(String)
    /// The write kept losing races with other writers beyond the engine's retries; nothing was
    /// changed and running it again may succeed.
    case serializationFailure(String)
    /// Another connection held the database locked beyond the engine's busy timeout; nothing was
    /// changed and running it again may succeed.
    case busy(String)
    /// The engine is closed, its connection is gone, or the disk refused the write.
    case unavailable(String)
    /// Stored data does not have the shape the schema promises.
    case corrupt(String)
    /// The schema on disk does not match this binary's migrations.
    case migration(String)

    public var code: String {
        switch self {
        case .uniqueViolation: "storage_conflict"
        case .integrityViolation: "storage_integrity_violation"
        case .serializationFailure: "storage_serialization_failure"
        case .busy: "storage_busy"
        case .unavailable: "storage_unavailable"
        case .corrupt: "storage_corrupt"
        case .migration: "storage_migration"
        }
    }

    /// The engine's explanation — the file, table, constraint or migration concerned and the
    /// engine's own error text — for operators; it never contains a stored or bound value.
    public var message: String {
        switch self {
        case .uniqueViolation(_, let message), .integrityViolation(let message), .serializationFailure(let message),
             .busy(let message), .unavailable(let message), .corrupt(let message), .migration(let message):
            message
        }
    }

    /// Contention that outlasted the engine's own waiting and retries: the same request, sent
    /// again a moment later, may succeed.
    public var isTransient: Bool {
        switch self {
        case .serializationFailure, .busy: true
        default: false
        }
    }
}
