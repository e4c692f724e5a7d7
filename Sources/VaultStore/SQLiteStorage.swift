import Foundation
import VaultCore

/// The embedded SQLite engine of the vault.
///
/// - One write connection, owned by a dedicated thread, commits writes in groups
///   (`GroupCommitWriter`): many callers' bodies, one transaction, one fsync.
/// - Up to `maxReaders` read-only connections serve reads in parallel (`ReaderPool`).
/// - WAL, `synchronous=FULL`, foreign keys, `secure_delete`, 5 s busy timeout.
/// - The database, WAL and SHM files are mode 0600.
///
/// `open` applies pending migrations before anything else can touch the database.
public final class SQLiteStorage: VaultStorage {
    public let path: String
    /// The migration files `open` applied, in order; empty when the schema was already current.
    public let appliedMigrations: [String]
    /// Nil when opened read-only: every write then fails with `.unavailable`.
    private let writer: GroupCommitWriter?
    private let readers: ReaderPool

    public static let defaultMaxReaders = 8
    public static let defaultMaxBatchSize = 512

    /// Opens (creating if needed) the database at `path`, applies pending migrations and starts the writer.
    ///
    /// - Parameters:
    ///   - synchronous: `.full` (default) makes every acknowledged write survive power loss;
    ///     `.normal` is for benchmarks only.
    ///   - maxReaders: read connections opened at most; further concurrent reads wait.
    ///   - maxBatchSize: write bodies committed by one transaction at most.
    /// - Throws: `StorageError.migration` when the database's schema does not match this binary's
    ///   migrations (nothing is changed then), `.unavailable`/`.corrupt` when it cannot be opened.
    public static func open(path: String, synchronous: SQLiteSynchronous = .full,
                            maxReaders: Int = defaultMaxReaders,
                            maxBatchSize: Int = defaultMaxBatchSize) throws -> SQLiteStorage {
        try open(path: path, synchronous: synchronous, maxReaders: maxReaders, maxBatchSize: maxBatchSize,
                 migrator: Migrator.embedded())
    }

    /// Tests inject their own migration sets here.
    static func open(path: String, synchronous: SQLiteSynchronous = .full, maxReaders: Int = defaultMaxReaders,
                     maxBatchSize: Int = defaultMaxBatchSize,
                     migrations: [(name: String, sql: [UInt8])]) throws -> SQLiteStorage {
        try open(path: path, synchronous: synchronous, maxReaders: maxReaders, maxBatchSize: maxBatchSize,
                 migrator: Migrator(files: migrations))
    }

    private static func open(path: String, synchronous: SQLiteSynchronous, maxReaders: Int, maxBatchSize: Int,
                             migrator: Migrator) throws -> SQLiteStorage {
        try FilePermissions.prepareDatabaseFile(at: path)
        try FilePermissions.tightenSidecars(of: path)
        let connection = try SQLiteConnection.open(path: path, mode: .readWrite(synchronous))
        let applied: [String]
        do {
            applied = try migrator.migrate(connection)
        } catch {
            connection.close()
            throw error
        }
        return SQLiteStorage(path: path, appliedMigrations: applied, connection: connection,
                             maxReaders: maxReaders, maxBatchSize: maxBatchSize)
    }

    private init(path: String, appliedMigrations: [String], connection: SQLiteConnection?,
                 maxReaders: Int, maxBatchSize: Int) {
        self.path = path
        self.appliedMigrations = appliedMigrations
        writer = connection.map { GroupCommitWriter(connection: $0, maxBatchSize: maxBatchSize) }
        readers = ReaderPool(path: path, maxConnections: maxReaders)
    }

    /// Opens an existing database for reading only — no migration, no writer, nothing changed on
    /// disk — for inspecting a copy (`coffer audit verify`). Its schema must be this binary's.
    /// - Throws: `StorageError.unavailable` when there is no database at `path`,
    ///   `StorageError.migration` when it needs migrating first.
    public static func openReadOnly(path: String) throws -> SQLiteStorage {
        guard FilePermissions.exists(path) else { throw StorageError.unavailable("no database at \(path)") }
        let pending = try pendingMigrations(path: path)
        guard pending.isEmpty else {
            throw StorageError.migration("\(path) needs \(pending.joined(separator: ", ")) first: run `coffer migrate`")
        }
        return SQLiteStorage(path: path, appliedMigrations: [], connection: nil, maxReaders: 1, maxBatchSize: 1)
    }

    /// Writes a consistent copy of the database at `path` to a new file `destination` (mode
    /// 0600), while a server may be writing to it: SQLite's online backup, read through a
    /// connection of its own inside one read transaction (`SQLiteConnection.backup`). The copy is
    /// fsynced before this returns. `progress` gets (pages copied, pages in all).
    /// - Throws: `StorageError.unavailable` when there is no database at `path` or `destination` exists.
    public static func backup(databaseAt path: String, to destination: String,
                              progress: (_ copied: Int, _ total: Int) -> Void = { _, _ in }) throws {
        guard FilePermissions.exists(path) else { throw StorageError.unavailable("no database at \(path)") }
        guard !FilePermissions.exists(destination) else { throw StorageError.unavailable("\(destination) already exists") }
        try FilePermissions.prepareDatabaseFile(at: destination)
        let source = try SQLiteConnection.open(path: path, mode: .readOnly)
        defer { source.close() }
        let target = try SQLiteConnection.open(path: destination, mode: .backupTarget)
        defer { target.close() }
        try source.backup(into: target, progress: progress)
        // The copy is a WAL-mode database like its source: switching it to a rollback journal
        // checkpoints every page into the one file, which is then the whole snapshot.
        guard try target.singleText("PRAGMA journal_mode = DELETE")?.lowercased() == "delete" else {
            throw StorageError.unavailable("\(destination): cannot take the copy out of WAL mode")
        }
    }

    /// The name of the last migration this binary applies: the schema of every database it opens.
    public static func currentSchema() throws -> String {
        try Migrator.embedded().migrations.last?.name ?? ""
    }

    /// The migration files this binary would apply to the database at `path`, without applying
    /// anything (all of them when the file does not exist yet).
    /// - Throws: `StorageError.migration` when the database cannot be migrated by this binary.
    public static func pendingMigrations(path: String) throws -> [String] {
        try pendingMigrations(path: path, migrator: Migrator.embedded())
    }

    static func pendingMigrations(path: String, migrations: [(name: String, sql: [UInt8])]) throws -> [String] {
        try pendingMigrations(path: path, migrator: Migrator(files: migrations))
    }

    private static func pendingMigrations(path: String, migrator: Migrator) throws -> [String] {
        guard FilePermissions.exists(path) else { return migrator.migrations.map(\.name) }
        let connection = try SQLiteConnection.open(path: path, mode: .readOnly)
        defer { connection.close() }
        return try migrator.pending(connection).map(\.name)
    }

    /// How writes have been grouped into commits since `open`.
    public var writeStats: GroupCommitStats { writer?.stats ?? GroupCommitStats() }

    // MARK: VaultStorage

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await readers.read { try body(SQLiteReader(connection: $0)) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        guard let writer else { throw StorageError.unavailable("\(path) is open read-only") }
        return try await writer.write { try body($0) }
    }

    /// Commits queued writes, checkpoints and truncates the WAL, and closes every connection.
    /// Later reads and writes fail with `StorageError.unavailable`.
    public func close() async {
        readers.close()
        await writer?.close()
    }

    // MARK: For tests

    /// Runs `body` with the write connection, as a write job (inside the batch transaction).
    func withWriteConnection<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        guard let writer else { throw StorageError.unavailable("\(path) is open read-only") }
        return try await writer.write { try body($0.connection) }
    }
}
