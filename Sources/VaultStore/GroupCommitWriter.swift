import CSQLite
import Dispatch
import Foundation
import Synchronization
import VaultCore

/// How group commit has batched writes so far.
public struct GroupCommitStats: Sendable, Equatable {
    /// Transactions committed (or attempted): one fsync each with `synchronous=FULL`.
    public var batches: Int = 0
    /// Write bodies run, successful or not.
    public var jobs: Int = 0
    /// The most jobs committed by one transaction.
    public var largestBatch: Int = 0
    /// Batches whose BEGIN or COMMIT failed, so every job in them failed.
    public var failedBatches: Int = 0
    /// Transactions rolled back because they lost a race with another writer, to be run again
    /// (PostgreSQL; SQLite's one writer has no rival).
    public var lostRaces: Int = 0

    public init() {}

    /// Jobs per commit.
    public var averageBatchSize: Double { batches == 0 ? 0 : Double(jobs) / Double(batches) }
}

/// The single writer: one dedicated thread owns the only write connection and commits queued
/// writes in groups.
///
/// `write` enqueues a job and suspends. The thread takes every queued job (up to `maxBatchSize`),
/// opens one `BEGIN IMMEDIATE` transaction, runs each body inside its own `SAVEPOINT` (a body
/// that throws is rolled back to its savepoint and fails alone), then issues ONE `COMMIT` — one
/// WAL fsync for the whole batch — and only then resumes the callers. If the transaction itself
/// fails (BEGIN, COMMIT, or SQLite rolling it back after an I/O error), every job of the batch
/// fails with that error and none is acknowledged. While a batch commits, new jobs queue up and
/// form the next batch, so the batch size adapts to the load by itself.
///
/// The thread is a real thread, not a Task: `sqlite3_step` and fsync block, and the cooperative
/// pool has only as many threads as cores.
final class GroupCommitWriter: Sendable {
    private let core: WriterCore<SQLiteWriter>
    let maxBatchSize: Int

    /// Takes ownership of `connection` (already configured and migrated) and starts the thread.
    init(connection: SQLiteConnection, maxBatchSize: Int) {
        self.maxBatchSize = max(1, maxBatchSize)
        let core = WriterCore<SQLiteWriter>(maxBatchSize: self.maxBatchSize)
        self.core = core
        let thread = Thread {
            // Foundation's `Thread.name` does not reach the kernel on Linux.
            _ = coffer_sqlite_set_thread_name("coffer-writer")
            core.run(connection: connection)
        }
        thread.start()
    }

    deinit {
        // Dropped without close(): let the thread drain, checkpoint, close and exit on its own.
        core.requestClose(waiter: nil)
    }

    var stats: GroupCommitStats { core.stats.withLock { $0 } }

    /// Runs `body` in the next batch; returns once its batch is durably committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteWriter) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            if !core.enqueue(TypedWriteJob(body: body, continuation: continuation)) {
                continuation.resume(throwing: StorageError.unavailable("the storage is closed"))
            }
        }
    }

    /// Stops accepting writes, commits what is queued, checkpoints the WAL (TRUNCATE), closes the
    /// connection and returns when the thread has finished.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.requestClose(waiter: continuation)
        }
    }
}

/// A queued write, type-erased: one object per job holds the body and the caller's
/// continuation, so queueing, running and answering a job builds no closures. `Writer` is what
/// the engine's bodies get (`SQLiteWriter`, `PGWriter`).
protocol WriteJob<Writer>: AnyObject, Sendable {
    associatedtype Writer
    /// Runs the body on the writer thread and keeps what it returned or threw; false when it threw.
    /// An engine that retries runs it again: the last run's outcome is what `finish` answers.
    func run(_ writer: Writer) -> Bool
    /// Answers the caller once the batch's fate is known: with what the body returned or threw
    /// when `transactionError` is nil (the batch committed), else with `transactionError`, whether
    /// the body ran or not.
    func finish(transactionError: (any Error)?)
}

/// `@unchecked Sendable` because of the mutable `outcome`, which no two threads ever touch: the
/// caller's task creates the job and hands it over through `WriterCore`'s mutex (ordering the
/// initialisation before the writer thread's first access), and from then on only the writer
/// thread uses it (`run` writes `outcome`, `finish` reads it, both in `commit`); the caller only
/// awaits the continuation.
final class TypedWriteJob<Writer, T: Sendable>: WriteJob, @unchecked Sendable {
    private let body: @Sendable (Writer) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var outcome: Result<T, any Error> = .failure(StorageError.unavailable("the write never ran"))

    init(body: @escaping @Sendable (Writer) throws -> T, continuation: CheckedContinuation<T, any Error>) {
        self.body = body
        self.continuation = continuation
    }

    func run(_ writer: Writer) -> Bool {
        outcome = Result { try body(writer) }
        if case .success = outcome { return true }
        return false
    }

    func finish(transactionError: (any Error)?) {
        continuation.resume(with: transactionError.map { .failure($0) } ?? outcome)
    }
}

/// The queue and the thread's loop, shared by the thread and the engine's handle (the thread does
/// not retain the handle, so dropping the handle can stop the thread). The loop is the engine's:
/// SQLite's below, PostgreSQL's in `PGWriterLoop.swift`.
final class WriterCore<Writer>: Sendable {
    private struct State {
        var queue: [any WriteJob<Writer>] = []
        var closing = false
        var finished = false
        /// True while the thread waits (or is about to wait) on `wakeUp`.
        var sleeping = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    let stats = Mutex(GroupCommitStats())
    let maxBatchSize: Int

    init(maxBatchSize: Int) { self.maxBatchSize = maxBatchSize }

    /// False when the writer no longer accepts jobs.
    func enqueue(_ job: any WriteJob<Writer>) -> Bool {
        let (accepted, signal) = state.withLock { state -> (Bool, Bool) in
            guard !state.closing else { return (false, false) }
            state.queue.append(job)
            let signal = state.sleeping
            state.sleeping = false
            return (true, signal)
        }
        if signal { wakeUp.signal() }
        return accepted
    }

    func requestClose(waiter: CheckedContinuation<Void, Never>?) {
        let (signal, resumeNow) = state.withLock { state -> (Bool, Bool) in
            if state.finished { return (false, true) }
            state.closing = true
            if let waiter { state.closeWaiters.append(waiter) }
            let signal = state.sleeping
            state.sleeping = false
            return (signal, false)
        }
        if signal { wakeUp.signal() }
        if resumeNow { waiter?.resume() }
    }

    /// The next batch, waiting for one; nil once closing and the queue is empty.
    func nextBatch() -> [any WriteJob<Writer>]? {
        while true {
            let batch = state.withLock { state -> [any WriteJob<Writer>]?? in
                if !state.queue.isEmpty {
                    let count = min(state.queue.count, maxBatchSize)
                    let batch = Array(state.queue.prefix(count))
                    state.queue.removeFirst(count)
                    return .some(batch)
                }
                if state.closing { return .some(nil) }
                state.sleeping = true
                return nil
            }
            if let batch { return batch }
            wakeUp.wait()
        }
    }

    /// Called by the thread once its loop has ended: answers `close()`.
    func finished() {
        let waiters = state.withLock { state in
            state.finished = true
            defer { state.closeWaiters.removeAll() }
            return state.closeWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func record(jobs: Int, failed: Bool) {
        stats.withLock { stats in
            stats.batches += 1
            stats.jobs += jobs
            stats.largestBatch = max(stats.largestBatch, jobs)
            if failed { stats.failedBatches += 1 }
        }
    }

    func recordLostRace() {
        stats.withLock { $0.lostRaces += 1 }
    }
}

extension WriterCore where Writer == SQLiteWriter {
    /// The writer thread's body.
    func run(connection: SQLiteConnection) {
        let writer = SQLiteWriter(connection: connection)
        while let batch = nextBatch() {
            commit(batch, writer: writer)
        }
        // Closing: nothing is queued and nothing can be. Fold the WAL back into the database
        // file and empty it, then close (the last connection to close also deletes the WAL).
        _ = try? connection.queryFirst("PRAGMA wal_checkpoint(TRUNCATE)") { $0.int(0) }
        connection.close()
        finished()
    }

    private func commit(_ batch: [any WriteJob<Writer>], writer: SQLiteWriter) {
        let connection = writer.connection
        do {
            try connection.execute("BEGIN IMMEDIATE")
        } catch {
            record(jobs: batch.count, failed: true)
            for job in batch { job.finish(transactionError: error) }
            return
        }
        var transactionError: (any Error)?
        for job in batch {
            do {
                try connection.execute("SAVEPOINT coffer_write")
                if !job.run(writer) { try connection.execute("ROLLBACK TO coffer_write") }
                try connection.execute("RELEASE coffer_write")
            } catch {
                transactionError = error
                break
            }
            if !connection.isInTransaction {
                // SQLite rolled the whole transaction back (e.g. SQLITE_FULL or an I/O error).
                transactionError = StorageError.unavailable("the write transaction was rolled back by SQLite")
                break
            }
        }
        if transactionError == nil {
            do {
                try connection.execute("COMMIT")
            } catch {
                transactionError = error
            }
        }
        if transactionError != nil, connection.isInTransaction { try? connection.execute("ROLLBACK") }
        record(jobs: batch.count, failed: transactionError != nil)
        for job in batch { job.finish(transactionError: transactionError) }
    }
}
