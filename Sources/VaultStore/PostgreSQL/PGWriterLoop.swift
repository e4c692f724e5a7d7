import Foundation
import VaultCore

/// How the PostgreSQL writer lives beside other nodes' writers: how it retries a write that lost
/// a race, and how long a stalled transaction of its own may keep the others waiting.
struct PGContentionPolicy: Sendable {
    /// How long the server lets this writer's transaction sit idle (between statements) before it
    /// ends the session — and with it the transaction and the write lock. A node that hangs or
    /// drops off the network mid-transaction would otherwise stop every node's writes until TCP
    /// gives up on it (hours). Far longer than any body runs.
    var stalledTransactionTimeout: TimeInterval = 60
    /// Runs of one body at most, the first included.
    var maximumAttempts = 12
    /// The first backoff's upper bound; it doubles with each attempt up to `maximumDelay`. Each
    /// wait is drawn uniformly below its bound, so two nodes that collided do not collide again.
    var baseDelay = 0.002
    var maximumDelay = 0.1

    func delay(beforeAttempt attempt: Int) -> TimeInterval {
        let bound = min(maximumDelay, baseDelay * Double(1 << min(attempt, 16)))
        return Double.random(in: 0...bound)
    }
}

/// The PostgreSQL writer thread: group commit like SQLite's (`GroupCommitWriter`), in
/// SERIALIZABLE transactions. Each queued body runs in its own SAVEPOINT of one transaction, one
/// COMMIT (one WAL flush) acknowledges them all. A body that fails on its own is rolled back to
/// its savepoint and fails alone.
///
/// Every write transaction of every node first takes one advisory lock (`writeLockKey`), so
/// writers across nodes take turns, a batch at a time, as SQLite's single writer does in one
/// process. Nearly every write appends to the one audit chain ("read the head, then append"), so
/// two concurrent writers would conflict anyway: without the lock both do the work and one is
/// rolled back — under load a body lost that race a dozen times in a row. With it they queue on
/// the lock and nothing is wasted; each node still commits many bodies per turn.
///
/// SERIALIZABLE and the retries stay as the guarantee the lock does not give: a writer that does
/// not take it (an older binary during a rolling upgrade, an operator's session) cannot break a
/// duplicate check or fork the chain. When the batch loses such a race — a serialization failure
/// or deadlock at any statement or at COMMIT, or a unique violation of the audit sequence — the
/// whole transaction is rolled back and each body runs again in a transaction of its own,
/// retried with jittered exponential backoff up to `PGContentionPolicy.maximumAttempts` runs; after
/// that it fails with `.serializationFailure`.
///
/// A broken connection fails the batch (`.unavailable`; a COMMIT whose answer was lost may or
/// may not have committed) and is replaced before the next one.
extension WriterCore where Writer == PGWriter {
    /// The advisory lock every write transaction takes ("coffer-w" in ASCII; the migration lock
    /// is "coffer").
    static var writeLockKey: Int64 { 0x636F_6666_6572_2D77 }

    func run(uri: String, connection: PGConnection, contention: PGContentionPolicy, fence: PGCommitFence) {
        // Keepalives from the server's side too (ignored over a Unix socket): a node cut off
        // between its transactions, holding no transaction but for a moment the lock, is found
        // dead in about 30 s rather than after the system's two hours.
        let setUp = """
            SET idle_in_transaction_session_timeout = \(Int(contention.stalledTransactionTimeout * 1000));
            SET tcp_keepalives_idle = 15; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3
            """
        var connection: PGConnection? = (try? connection.executeScript(setUp)) == nil ? nil : connection
        while let batch = nextBatch() {
            if connection?.isHealthy != true {
                connection?.close()
                connection = try? PGConnection.connect(uri)
                if (try? connection?.executeScript(setUp)) == nil { connection = nil }
            }
            guard let connection else {
                record(jobs: batch.count, failed: true)
                for job in batch { job.finish(transactionError: StorageError.unavailable("PostgreSQL: cannot reconnect")) }
                continue
            }
            commit(batch, writer: PGWriter(connection: connection, attempt: PGAttempt(), fence: fence), contention: contention)
        }
        connection?.close()
        finished()
    }

    private enum Outcome {
        case committed
        /// Lost a race: run the bodies again.
        case lostRace
        /// A lone body failed on its own: nothing was committed, the body's failure is its answer.
        case rolledBack
        case failed(any Error)
    }

    /// What a transaction's body decided.
    private enum Decision {
        case commit, rollBack, lostRace
    }

    private func commit(_ batch: [any WriteJob<Writer>], writer: PGWriter, contention: PGContentionPolicy) {
        guard batch.count > 1 else {
            commitAlone(batch[0], writer: writer, contention: contention)
            return
        }
        let outcome = transaction(writer) { () throws -> Decision in
            // One round trip a body for its savepoint: the previous one is released in the same
            // script, the last one by COMMIT.
            var savepoint = "SAVEPOINT coffer_write"
            for job in batch {
                try writer.connection.executeScript(savepoint)
                savepoint = "RELEASE coffer_write; SAVEPOINT coffer_write"
                writer.attempt.lostRace = false
                let succeeded = job.run(writer)
                // Also when the body caught the failure itself: the transaction is lost either way.
                if writer.attempt.lostRace { return .lostRace }
                if !succeeded { try writer.connection.executeScript("ROLLBACK TO coffer_write") }
            }
            return .commit
        }
        switch outcome {
        case .committed, .rolledBack:
            record(jobs: batch.count, failed: false)
            for job in batch { job.finish(transactionError: nil) }
        case .failed(let error):
            record(jobs: batch.count, failed: true)
            for job in batch { job.finish(transactionError: error) }
        case .lostRace:
            recordLostRace()
            // One at a time: a batch that keeps colliding would otherwise never commit.
            for job in batch { commitAlone(job, writer: writer, contention: contention) }
        }
    }

    private func commitAlone(_ job: any WriteJob<Writer>, writer: PGWriter, contention: PGContentionPolicy) {
        for attempt in 0..<contention.maximumAttempts {
            if attempt > 0 { Thread.sleep(forTimeInterval: contention.delay(beforeAttempt: attempt)) }
            let outcome = transaction(writer) { () -> Decision in
                writer.attempt.lostRace = false
                let succeeded = job.run(writer)
                if writer.attempt.lostRace { return .lostRace }
                return succeeded ? .commit : .rollBack
            }
            switch outcome {
            case .committed, .rolledBack:
                record(jobs: 1, failed: false)
                job.finish(transactionError: nil)
                return
            case .lostRace:
                recordLostRace()
                continue
            case .failed(let error):
                record(jobs: 1, failed: true)
                job.finish(transactionError: error)
                return
            }
        }
        record(jobs: 1, failed: true)
        job.finish(transactionError: StorageError.serializationFailure(
            "PostgreSQL: the write lost a race with another transaction \(contention.maximumAttempts) times (SQLSTATE 40001)"))
    }

    /// Takes the write lock, then BEGIN SERIALIZABLE, `body`, COMMIT or ROLLBACK as it decides, and
    /// releases the lock; a serialization failure or deadlock anywhere (COMMIT included) is a lost
    /// race.
    ///
    /// The lock is a session lock taken before BEGIN, not a transaction lock taken inside:
    /// a SERIALIZABLE transaction's snapshot is fixed by its first statement, so a transaction
    /// that waited for the lock would then read what the previous holder had just replaced — and
    /// lose the very race it waited to avoid.
    private func transaction(_ writer: PGWriter, _ body: () throws -> Decision) -> Outcome {
        let connection = writer.connection
        var locked = false
        defer {
            // unlock_all cannot leave a count behind (nothing else takes session locks on this
            // connection). A connection that cannot run it is closed: its session, and the lock,
            // end with it, and the writer reconnects before its next batch.
            if locked, (try? connection.executeScript("SELECT pg_advisory_unlock_all()")) == nil { connection.close() }
        }
        do {
            try connection.executeScript("SELECT pg_advisory_lock(\(Self.writeLockKey))")
            locked = true
            try connection.executeScript("BEGIN ISOLATION LEVEL SERIALIZABLE")
            switch try body() {
            case .commit:
                // A body that swallowed a failed statement left the transaction aborted: COMMIT
                // would quietly roll it back.
                guard !connection.isInFailedTransaction else {
                    try connection.executeScript("ROLLBACK")
                    return .failed(StorageError.unavailable("PostgreSQL: a statement of the write failed and the write was rolled back"))
                }
                try writer.commit()
                return .committed
            case .rollBack:
                try connection.executeScript("ROLLBACK")
                return .rolledBack
            case .lostRace:
                try connection.executeScript("ROLLBACK")
                return .lostRace
            }
        } catch {
            if connection.isInTransaction { try? connection.executeScript("ROLLBACK") }
            if let error = error as? PGError {
                return error.kind == .serializationFailure ? .lostRace : .failed(error.storageError)
            }
            return .failed(error)
        }
    }
}
