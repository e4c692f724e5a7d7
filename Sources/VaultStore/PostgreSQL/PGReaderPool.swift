import Dispatch
import Executors
import Synchronization
import VaultCore

/// Read connections, each owned by a thread of its own: a read is handed to whichever thread is
/// free and runs there in a read-only REPEATABLE READ transaction (one snapshot), so libpq's
/// blocking calls never run on the cooperative pool. Reads queue when every thread is busy.
/// A connection is opened on its thread's first read and replaced when it breaks. The same pool
/// serves a replica: its reads wait for the replica to replay a fence first (`read(after:_:)`).
final class PGReaderPool: Sendable {
    private struct State {
        var queue: [any PGReadJob] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let threads: Int

    /// Threads are named `coffer-pg-NAMEi` (keep `name` to 4 bytes: the kernel keeps 15).
    /// `reconnectDelay`: after a failed connect, a thread fails its reads at once for this long
    /// rather than try again for each (a replica's reads fall back to the primary meanwhile).
    init(uri: String, threads: Int, reconnectDelay: Duration = .zero, name: String = "read") throws {
        self.threads = max(1, threads)
        for index in 0..<self.threads {
            try PosixThread.start(named: "coffer-pg-\(name)\(index)") { [self] in serve(uri: uri, reconnectDelay: reconnectDelay) }
        }
    }

    /// Runs `body` on a read thread inside a read transaction and returns what it returned or threw.
    /// With a `fence`, fails with `PGReplicaBehind` instead, before the transaction, when the
    /// connection's server has not replayed the WAL that far: the check comes first, so the
    /// snapshot (taken at the transaction's first statement) holds everything up to the fence.
    func read<T: Sendable>(after fence: WALPosition? = nil,
                           _ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.queue.append(TypedReadJob(fence: fence, body: body, continuation: continuation))
                return true
            }
            if accepted { available.signal() } else { continuation.resume(throwing: Self.closedError) }
        }
    }

    static let closedError = StorageError.unavailable("the storage is closed")

    /// Fails queued reads; each thread closes its connection and ends after its current read.
    func close() {
        let queued = state.withLock { state in
            state.closed = true
            defer { state.queue.removeAll() }
            return state.queue
        }
        for job in queued { job.fail(Self.closedError) }
        for _ in 0..<threads { available.signal() }
    }

    private func serve(uri: String, reconnectDelay: Duration) {
        var connection: PGConnection?
        var connectFailure: (error: StorageError, until: ContinuousClock.Instant)?
        while true {
            available.wait()
            let job = state.withLock { state -> (any PGReadJob)?? in
                if state.closed { return .some(nil) }
                return state.queue.isEmpty ? nil : state.queue.removeFirst()
            }
            guard let job else { continue }
            guard let job else { break }
            if connection?.isHealthy != true {
                connection?.close()
                connection = nil
                if let connectFailure, ContinuousClock.now < connectFailure.until {
                    job.fail(connectFailure.error)
                    continue
                }
                do {
                    connection = try PGConnection.connect(uri)
                    connectFailure = nil
                } catch {
                    connectFailure = (error.storageError, ContinuousClock.now + reconnectDelay)
                    job.fail(error.storageError)
                    continue
                }
            }
            if let connection { job.run(connection) }
        }
        connection?.close()
    }
}

/// A queued read, type-erased like `WriteJob`.
protocol PGReadJob: AnyObject, Sendable {
    func run(_ connection: PGConnection)
    func fail(_ error: any Error)
}

/// `@unchecked Sendable`: created by the caller, handed over through the pool's mutex, then used
/// by one read thread only.
final class TypedReadJob<T: Sendable>: PGReadJob, @unchecked Sendable {
    private let fence: WALPosition?
    private let body: @Sendable (PGConnection) throws -> T
    private let continuation: CheckedContinuation<T, any Error>

    init(fence: WALPosition?, body: @escaping @Sendable (PGConnection) throws -> T,
         continuation: CheckedContinuation<T, any Error>) {
        self.fence = fence
        self.body = body
        self.continuation = continuation
    }

    func run(_ connection: PGConnection) {
        continuation.resume(with: Result {
            do {
                if let fence, try !connection.hasReplayed(fence) { throw PGReplicaBehind() }
                try connection.executeScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                let result = try body(connection)
                try connection.executeScript("COMMIT")
                return result
            } catch {
                if connection.isInTransaction { try? connection.executeScript("ROLLBACK") }
                throw (error as? PGError)?.storageError ?? error
            }
        })
    }

    func fail(_ error: any Error) { continuation.resume(throwing: error) }
}
