import Executors
import Foundation
import Synchronization
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
///   transaction begun after the acknowledgement). With a replica (`readURI`), a `.replica`
///   read goes to it only once it has replayed this instance's last commit (the fence: the WAL
///   position after each COMMIT); a replica that is behind, unreachable or failing sends the read
///   to the primary, so it never makes a read fail.
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
    private let replica: PGReaderPool?
    private let fence = PGCommitFence()
    private let replicaServed = Atomic(0)
    private let replicaFallbacks = Atomic(0)
    /// Why the replica could not serve reads at `open` (unreachable, or not a standby), nil when
    /// it could or there is none: reads go to the primary meanwhile, worth a warning.
    public let replicaProblem: String?

    public static let defaultMaxReaders = 4
    public static let defaultMaxBatchSize = 256
    /// How long a replica read thread leaves an unreachable replica alone after a failed connect:
    /// its reads go straight to the primary meanwhile, instead of each paying for a connect.
    static let replicaReconnectDelay = Duration.seconds(1)

    /// Connects to the database at `uri` (a libpq connection string or `postgresql://` URI),
    /// applies pending migrations and starts the writer and reader threads; with `readURI`, also
    /// `maxReaders` threads reading from that replica (a streaming standby of the database).
    /// - Throws: `StorageError.migration` when the database's schema does not match this binary's
    ///   migrations (nothing is changed then), `.unavailable` when it cannot be reached. An
    ///   unreachable replica is no failure: see `replicaProblem`.
    public static func open(uri: String, readURI: String? = nil, maxReaders: Int = defaultMaxReaders,
                            maxBatchSize: Int = defaultMaxBatchSize) throws -> PostgreSQLStorage {
        try open(uri: uri, readURI: readURI, maxReaders: maxReaders, maxBatchSize: maxBatchSize,
                 migrator: Migrator.embeddedPostgreSQL())
    }

    /// Tests inject their own migration sets or contention policy here.
    static func open(uri: String, readURI: String? = nil, maxReaders: Int = defaultMaxReaders,
                     maxBatchSize: Int = defaultMaxBatchSize, migrator: Migrator,
                     contention: PGContentionPolicy = PGContentionPolicy()) throws -> PostgreSQLStorage {
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
        return try PostgreSQLStorage(uri: uri, readURI: readURI, connection: connection, appliedMigrations: applied,
                                     maxReaders: maxReaders, maxBatchSize: maxBatchSize, contention: contention)
    }

    private init(uri: String, readURI: String?, connection: PGConnection, appliedMigrations: [String], maxReaders: Int,
                 maxBatchSize: Int, contention: PGContentionPolicy) throws {
        self.appliedMigrations = appliedMigrations
        let core = WriterCore<PGWriter>(maxBatchSize: max(1, maxBatchSize))
        self.core = core
        // The migrations, and whatever other nodes wrote before: a replica serves nothing older.
        fence.advance(to: try? connection.scriptResult(PGCommitFence.currentPositionQuery).first?.optionalText(0))
        replicaProblem = readURI.flatMap(Self.problem(ofReplica:))
        do {
            readers = try PGReaderPool(uri: uri, threads: maxReaders)
            replica = try readURI.map {
                try PGReaderPool(uri: $0, threads: maxReaders, reconnectDelay: Self.replicaReconnectDelay, name: "rep")
            }
            try PosixThread.start(named: "coffer-pg-write") { [fence] in
                core.run(uri: uri, connection: connection, contention: contention, fence: fence)
            }
        } catch {
            connection.close()
            throw StorageError.unavailable("cannot start the PostgreSQL engine's threads: \(error)")
        }
    }

    deinit {
        // Dropped without close(): the threads finish what is queued, close their connections and end.
        readers.close()
        replica?.close()
        core.requestClose(waiter: nil)
    }

    /// Why the server at `uri` cannot serve as a replica now, nil when it can.
    private static func problem(ofReplica uri: String) -> String? {
        do {
            let connection = try PGConnection.connect(uri)
            defer { connection.close() }
            let standby = try connection.query("SELECT pg_is_in_recovery()", []).first?.bool(0) == true
            return standby ? nil : "the server is not a standby (pg_is_in_recovery() is false): no read goes to it"
        } catch {
            return error.message
        }
    }

    /// How `.replica` reads were served since `open`; zeros without a replica.
    public var replicaStats: ReplicaReadStats {
        ReplicaReadStats(served: replicaServed.load(ordering: .relaxed), fallbacks: replicaFallbacks.load(ordering: .relaxed))
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

    /// A `.replica` read goes to the replica when it has replayed this instance's last commit;
    /// otherwise, or when the replica fails (a connection or SQL error, never the body's own
    /// verdict), to the primary.
    public func read<T: Sendable>(consistency: ReadConsistency,
                                  _ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        guard consistency == .replica, let replica else { return try await read(body) }
        do {
            let result = try await replica.read(after: fence.current) { try body(PGReader(connection: $0)) }
            replicaServed.add(1, ordering: .relaxed)
            return result
        } catch is PGReplicaBehind, is StorageError, is PGError {
            replicaFallbacks.add(1, ordering: .relaxed)
            return try await read(body)
        }
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
        replica?.close()
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
