import CSQLite
import VaultCore

/// Maps SQLite result codes to the engine-neutral `StorageError`.
///
/// Messages come from `sqlite3_errmsg`/`sqlite3_errstr`, which name tables, columns and
/// constraints but never bound values; nothing here ever formats a bound value into a message,
/// because bound values may be secrets (wrapped keys, ciphertext, fingerprints).
enum SQLiteError {
    /// The error for `code`, with the connection's message when there is one.
    static func storageError(code: Int32, connection: OpaquePointer?, context: String) -> StorageError {
        let message = Self.message(code: code, connection: connection)
        let text = context.isEmpty ? message : "\(context): \(message)"
        switch code & 0xFF {
        case SQLITE_CONSTRAINT:
            return .constraintViolation(message)
        case SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISMATCH, SQLITE_FORMAT, SQLITE_RANGE:
            return .corrupt(text)
        default:
            // BUSY, LOCKED, FULL, IOERR, CANTOPEN, READONLY, PERM, NOMEM, MISUSE (closed), ERROR …
            return .unavailable(text)
        }
    }

    static func message(code: Int32, connection: OpaquePointer?) -> String {
        if let connection, let text = sqlite3_errmsg(connection) {
            let message = String(cString: text)
            // After some failures errmsg still describes an earlier call; errstr is always right.
            if sqlite3_extended_errcode(connection) == code { return message }
        }
        return String(cString: sqlite3_errstr(code))
    }
}
