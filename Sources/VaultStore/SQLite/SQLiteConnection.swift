import CSQLite
import VaultCore

/// `PRAGMA synchronous` for the write connection.
public enum SQLiteSynchronous: String, Sendable {
    /// Every commit is fsynced before it is acknowledged: acknowledged writes survive power loss.
    case full = "FULL"
    /// The WAL is fsynced only at checkpoints: a power cut can lose the last commits.
    /// For benchmarks only; never for a vault whose "stored" must mean stored.
    case normal = "NORMAL"

    var pragmaValue: Int64 { self == .full ? 2 : 1 }
}

/// One SQLite connection with its cache of prepared statements.
///
/// `@unchecked Sendable` is safe because a connection always has exactly one owner at a time and
/// is never used by two threads at once (it is opened `SQLITE_OPEN_NOMUTEX`, and its statement
/// cache is unsynchronised): the write connection is used by the thread that opens and migrates
/// it and then, after `Thread.start()` (a happens-before edge), only by the group-commit thread;
/// a read connection is used only between `ReaderPool.checkout()` and `checkin(_:)`, and those
/// hand-overs go through the pool's `Mutex` (or a continuation resumed after it), which orders
/// every use by one borrower before the next borrower's.
final class SQLiteConnection: @unchecked Sendable {
    enum Mode: Sendable {
        case readWrite(SQLiteSynchronous)
        case readOnly
        /// A new file that `backup(into:)` fills page by page: no journal mode or schema settings
        /// of its own, the copy carries the source's.
        case backupTarget
    }

    static let busyTimeoutMilliseconds: Int32 = 5_000

    private var handle: OpaquePointer?
    private var statements: [String: Statement] = [:]
    let path: String

    private init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit { close() }

    /// Process-wide SQLite settings, applied once before the first connection initialises SQLite:
    /// no memory statistics, so allocations on the writer thread and the readers do not all take
    /// one global mutex (measured: half of the server's futex calls under a reveal load).
    private static let processSettings: Void = {
        _ = coffer_sqlite_disable_memory_statistics()
    }()

    /// Opens and configures a connection. The file must already exist for `.readOnly`.
    static func open(path: String, mode: Mode) throws(StorageError) -> SQLiteConnection {
        _ = processSettings
        var flags = SQLITE_OPEN_NOMUTEX
        switch mode {
        case .readWrite, .backupTarget: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var pointer: OpaquePointer?
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard code == SQLITE_OK, let pointer else {
            let error = SQLiteError.storageError(code: code, connection: pointer, path: path, context: "cannot open the database")
            sqlite3_close(pointer)  // harmless on nil; frees the handle SQLite allocates on most failures
            throw error
        }
        let connection = SQLiteConnection(handle: pointer, path: path)
        try connection.configure(mode)
        return connection
    }

    private func configure(_ mode: Mode) throws(StorageError) {
        guard let handle else { throw Self.closedError }
        sqlite3_extended_result_codes(handle, 1)
        try check(sqlite3_busy_timeout(handle, Self.busyTimeoutMilliseconds), "busy timeout")
        try check(coffer_sqlite_enable_defensive(handle), "defensive mode")
        try check(coffer_sqlite_disable_double_quoted_strings(handle), "double-quoted strings")
        try execute("PRAGMA temp_store = MEMORY")
        switch mode {
        case .readWrite(let synchronous):
            let journal = try singleText("PRAGMA journal_mode = WAL")
            guard journal?.lowercased() == "wal" else {
                throw .unavailable("\(path): cannot switch the database to WAL mode (journal_mode is \(journal ?? "unknown"))")
            }
            try execute("PRAGMA synchronous = \(synchronous.rawValue)")
            try execute("PRAGMA foreign_keys = ON")
            // Overwrites deleted content (card ciphertext, wrapped keys) instead of leaving it in free space.
            try execute("PRAGMA secure_delete = ON")
            try execute("PRAGMA cache_size = -16384")  // 16 MiB
            // After a checkpoint resets the WAL, truncate it back to 64 MiB at most, so a burst
            // does not leave a huge WAL (with stale frames) behind.
            try execute("PRAGMA journal_size_limit = 67108864")
        case .readOnly:
            try execute("PRAGMA cache_size = -4096")  // 4 MiB per reader
        case .backupTarget:
            break
        }
    }

    // MARK: Backup

    /// Copies this connection's database into `target` as one consistent snapshot while other
    /// connections — a live server's writer among them — go on writing: the copy runs inside one
    /// read transaction of this connection, so it reads the database as of that transaction's
    /// start however many steps it takes (a write through another connection would otherwise
    /// restart it). `progress` gets (pages copied, pages in all) after each step.
    func backup(into target: SQLiteConnection, pagesPerStep: Int32 = 1024,
                progress: (_ copied: Int, _ total: Int) -> Void) throws(StorageError) {
        guard let handle, let targetHandle = target.handle else { throw Self.closedError }
        try execute("BEGIN")
        defer { try? execute("COMMIT") }
        _ = try singleText("SELECT name FROM sqlite_schema LIMIT 1")  // starts the read transaction now
        guard let backup = sqlite3_backup_init(targetHandle, "main", handle, "main") else {
            throw target.error(sqlite3_errcode(targetHandle), "starting the backup")
        }
        var code: Int32
        repeat {
            code = sqlite3_backup_step(backup, pagesPerStep)
            let total = Int(sqlite3_backup_pagecount(backup))
            progress(total - Int(sqlite3_backup_remaining(backup)), total)
        } while code == SQLITE_OK
        let finished = sqlite3_backup_finish(backup)
        guard code == SQLITE_DONE else { throw target.error(code, "copying the database") }
        try target.check(finished, "finishing the backup")
    }

    // MARK: Statements

    /// The cached statement for `sql`, prepared once with `SQLITE_PREPARE_PERSISTENT`.
    func statement(_ sql: String) throws(StorageError) -> Statement {
        if let cached = statements[sql] { return cached }
        guard let handle else { throw Self.closedError }
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else { throw error(code, "preparing a statement") }
        let statement = Statement(handle: pointer, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` (one statement) to completion.
    func execute(_ sql: String, _ arguments: any SQLiteBindable...) throws(StorageError) {
        try execute(sql, arguments: arguments)
    }

    /// `execute` for arguments gathered into an array.
    func execute(_ sql: String, arguments: [any SQLiteBindable]) throws(StorageError) {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// Runs `sql` to completion and returns the number of rows it changed.
    func executeCountingChanges(_ sql: String, _ arguments: any SQLiteBindable...) throws(StorageError) -> Int {
        try executeCountingChanges(sql, arguments: arguments)
    }

    /// `executeCountingChanges` for statements whose number of parameters is known only at run time.
    func executeCountingChanges(_ sql: String, arguments: [any SQLiteBindable]) throws(StorageError) -> Int {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        while try statement.step() {}
        return Int(sqlite3_changes64(handle))
    }

    /// Every row of `sql`, mapped while the row is current.
    /// (Untyped `throws` so that closures need no annotation; only `StorageError`s are thrown.)
    func query<Element>(_ sql: String, _ arguments: any SQLiteBindable...,
                        map: (SQLiteRow) throws -> Element) throws -> [Element] {
        try query(sql, arguments: arguments, map: map)
    }

    /// `query` for statements whose number of parameters is known only at run time.
    func query<Element>(_ sql: String, arguments: [any SQLiteBindable],
                        map: (SQLiteRow) throws -> Element) throws -> [Element] {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        var elements: [Element] = []
        while try statement.step() { elements.append(try map(statement.row)) }
        return elements
    }

    /// The first row of `sql`, mapped, or nil when there is none.
    func queryFirst<Element>(_ sql: String, _ arguments: any SQLiteBindable...,
                             map: (SQLiteRow) throws -> Element) throws -> Element? {
        let statement = try statement(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        guard try statement.step() else { return nil }
        return try map(statement.row)
    }

    /// The first column of the first row as text (pragmas).
    func singleText(_ sql: String) throws(StorageError) -> String? {
        let statement = try statement(sql)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.row.text(0)
    }

    /// Runs a script of several statements without caching them (migrations).
    /// `sql` must not contain NUL bytes; the caller checks.
    func executeScript(_ sql: [UInt8]) throws(StorageError) {
        guard let handle else { throw Self.closedError }
        let code = (sql + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { sqlite3_exec(handle, $0.baseAddress, nil, nil, nil) }
        }
        guard code == SQLITE_OK else { throw error(code, "") }
    }

    // MARK: State

    /// True while a transaction is open (SQLite can roll one back by itself after I/O errors).
    var isInTransaction: Bool {
        guard let handle else { return false }
        return sqlite3_get_autocommit(handle) == 0
    }

    var isOpen: Bool { handle != nil }

    /// Finalizes the cached statements and closes the connection. Idempotent.
    func close() {
        for statement in statements.values { statement.finalize() }
        statements.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    // MARK: Errors

    static let closedError = StorageError.unavailable("the database connection is closed")

    func error(_ code: Int32, _ context: String) -> StorageError {
        SQLiteError.storageError(code: code, connection: handle, path: path, context: context)
    }

    private func check(_ code: Int32, _ context: String) throws(StorageError) {
        guard code == SQLITE_OK else { throw error(code, context) }
    }
}
