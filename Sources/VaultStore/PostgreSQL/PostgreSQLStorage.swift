import Executors
import Foundation
import VaultCore

/// The PostgreSQL engine of the vault, for several stateless nodes on one database.
///
/// - **Threads.** libpq blocks, so no call runs on Swift's cooperative pool: one writer thread
///   owns the write connection (group commit, `PGWriterLoop.swift`) and `maxReaders` read
///   threads own one connection each (`PGReaderPool`).
/// - **Writes** run in SERIALIZABLE transactions: a duplicate check, a sub-client id or the
///   audit chain's "read the head, then append" holds across every node. Several queued bodies
///   share one transaction (each in its own savepoint) and one COMMIT, so fsyncs per request stay
///   low; `synchronous_commit` stays on, so an acknowledged write is durable. A write that loses a
///   race with another node (serialization failure, deadlock, the audit sequence taken) runs
///   again, bounded, with jittered backoff: a body may run more than once.
/// - **Reads** see every write this instance acknowledged (they go to the same primary, in a
///   transaction begun after the acknowledgement).
/// - **Delete** removes the row from every later read, but PostgreSQL has no `secure_delete`: the
///   old row version stays in the table file until `VACUUM` reuses its space, and in the WAL until
///   it is recycled. What is deleted is only ever ciphertext or a wrapped key.
///
/// `open` applies pending migrations (under an advisory lock) before anything else.
public final class PostgreSQLStorage: VaultStorage {
    /// The migration files `open` applied, in order; empty when the schema was already current.
    public let appliedMigrations: [String]
    private let core: WriterCore<PGWriter>
    private let readers: PGReaderPool

    public static let defaultMaxReaders = 4
    public static let defaultMaxBatchSize = 256

    /// Connects to the database at `uri` (a libpq connection string or `postgresql://` URI),
    /// applies pending migrations and starts the writer and reader threads.
    /// - Throws: `StorageError.migration` when the database's schema does not match this binary's
    ///   migrations (nothing is changed then), `.unavailable` when it cannot be reached.
    public static func open(uri: String, maxReaders: Int = defaultMaxReaders,
                            maxBatchSize: Int = defaultMaxBatchSize) throws -> PostgreSQLStorage {
        try open(uri: uri, maxReaders: maxReaders, maxBatchSize: maxBatchSize, migrator: Migrator.embeddedPostgreSQL())
    }

    /// Tests inject their own migration sets or contention policy here.
    static func open(uri: String, maxReaders: Int = defaultMaxReaders, maxBatchSize: Int = defaultMaxBatchSize,
                     migrator: Migrator, contention: PGContentionPolicy = PGContentionPolicy()) throws -> PostgreSQLStorage {
        let connection: PGConnection
        let applied: [String]
        do {
            connection = try PGConnection.connect(uri)
        } catch {
            throw error.storageError
        }
        do {
            applied = try migrator.migrate(connection)
        } catch {
            connection.close()
            throw (error as? PGError)?.storageError ?? error
        }
        return try PostgreSQLStorage(uri: uri, connection: connection, appliedMigrations: applied,
                                     maxReaders: maxReaders, maxBatchSize: maxBatchSize, contention: contention)
    }

    private init(uri: String, connection: PGConnection, appliedMigrations: [String], maxReaders: Int,
                 maxBatchSize: Int, contention: PGContentionPolicy) throws {
        self.appliedMigrations = appliedMigrations
        let core = WriterCore<PGWriter>(maxBatchSize: max(1, maxBatchSize))
        self.core = core
        do {
            readers = try PGReaderPool(uri: uri, threads: maxReaders)
            try PosixThread.start(named: "coffer-pg-write") {
                core.run(uri: uri, connection: connection, contention: contention)
            }
        } catch {
            connection.close()
            throw StorageError.unavailable("cannot start the PostgreSQL engine's threads: \(error)")
        }
    }

    deinit {
        // Dropped without close(): the threads finish what is queued, close their connections and end.
        readers.close()
        core.requestClose(waiter: nil)
    }

    /// The names of the migrations this binary applies to PostgreSQL, in order.
    public static func currentSchema() throws -> String {
        try Migrator.embeddedPostgreSQL().migrations.last?.name ?? ""
    }

    /// How writes have been grouped into commits since `open` (a retried body counts again).
    public var writeStats: GroupCommitStats { core.stats.withLock { $0 } }

    // MARK: VaultStorage

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await readers.read { try body(PGReader(connection: $0)) }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = TypedWriteJob<PGWriter, T>(body: { try body($0) }, continuation: continuation)
            if !core.enqueue(job) {
                continuation.resume(throwing: StorageError.unavailable("the storage is closed"))
            }
        }
    }

    /// Commits queued writes and closes every connection. Later reads and writes fail with
    /// `StorageError.unavailable`.
    public func close() async {
        readers.close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.requestClose(waiter: continuation)
        }
    }

    // MARK: For tests

    /// Runs `body` with the write connection, as a write job (inside the batch transaction).
    func withWriteConnection<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await write { writer in try (writer as! PGWriter).mappingFailures { try body((writer as! PGWriter).connection) } }
    }
}
