import CSQLite
import VaultCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps SQLite result codes to the engine-neutral `StorageError`.
///
/// Messages come from `sqlite3_errmsg`/`sqlite3_errstr`, which name tables, columns and
/// constraints but never bound values; nothing here ever formats a bound value into a message,
/// because bound values may be secrets (wrapped keys, ciphertext, fingerprints).
enum SQLiteError {
    /// The error for `code` (an extended result code), with the connection's message when there
    /// is one. Unavailable and corrupt databases are named by `path`, so an operator knows which
    /// file to look at.
    static func storageError(code: Int32, connection: OpaquePointer?, path: String, context: String) -> StorageError {
        let message = Self.message(code: code, connection: connection)
        let text = ([path, context].filter { !$0.isEmpty } + [message]).joined(separator: ": ")
        switch code & 0xFF {
        case SQLITE_CONSTRAINT:
            guard coffer_sqlite_is_unique_violation(code) != 0 else {
                // FOREIGNKEY, NOTNULL, CHECK, TRIGGER (RAISE(ABORT)), DATATYPE …
                return .integrityViolation(message)
            }
            return .uniqueViolation(key: uniqueKey(in: message), message: message)
        case SQLITE_BUSY, SQLITE_LOCKED:
            return .busy(text)
        case SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISMATCH, SQLITE_FORMAT, SQLITE_RANGE:
            return .corrupt(text)
        default:
            // FULL, IOERR, CANTOPEN, READONLY, PERM, NOMEM, MISUSE (closed), ERROR …
            return .unavailable(text)
        }
    }

    /// The columns (`cards.token`, `t.a, t.b`) or index (`index 'name'`) SQLite names in
    /// "UNIQUE constraint failed: …"; the whole message if it has another shape.
    private static func uniqueKey(in message: String) -> String {
        guard let range = message.range(of: "constraint failed: ") else { return message }
        return String(message[range.upperBound...])
    }

    static func message(code: Int32, connection: OpaquePointer?) -> String {
        var message = String(cString: sqlite3_errstr(code))
        if let connection, let text = sqlite3_errmsg(connection) {
            // After some failures errmsg still describes an earlier call; errstr is always right.
            if sqlite3_extended_errcode(connection) == code { message = String(cString: text) }
        }
        return message + systemCause(code: code, connection: connection)
    }

    /// For a file that could not be opened or read: the operating system's reason (SQLite's own
    /// "unable to open database file" does not say whether the file is missing or forbidden).
    private static func systemCause(code: Int32, connection: OpaquePointer?) -> String {
        guard [SQLITE_CANTOPEN, SQLITE_IOERR].contains(code & 0xFF), let connection else { return "" }
        let number = sqlite3_system_errno(connection)
        guard number != 0, let text = strerror(number) else { return "" }
        return " (\(String(cString: text)))"
    }
}
