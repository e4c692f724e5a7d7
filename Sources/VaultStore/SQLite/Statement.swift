import CSQLite
import VaultCore

/// A prepared statement owned by one `SQLiteConnection` (and used only by its owner).
/// Kept in the connection's cache and reused: `reset()` after every use clears its bindings.
final class Statement {
    let handle: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    func bind(_ arguments: [any SQLiteBindable]) throws(StorageError) {
        for (offset, argument) in arguments.enumerated() {
            let code = argument.bind(to: handle, at: Int32(offset + 1))
            guard code == SQLITE_OK else { throw connection.error(code, "binding parameter \(offset + 1)") }
        }
    }

    /// Steps once: true when a row is available, false when the statement is done.
    func step() throws(StorageError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw connection.error(code, "")
        }
    }

    var row: SQLiteRow { SQLiteRow(statement: handle) }

    /// Makes the statement ready for its next use and drops the bound values.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func finalize() {
        sqlite3_finalize(handle)
    }
}
