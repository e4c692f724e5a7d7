import Synchronization

/// Why a `BoundedWorkPool` did not run a piece of work.
public enum WorkPoolError: Error, Sendable, Equatable {
    /// `queueLimit` works were already admitted (running or waiting): nothing was done.
    case busy
}

/// What a `BoundedWorkPool` has done so far.
public struct WorkPoolStats: Sendable, Equatable {
    /// Works admitted and not finished yet, running or waiting for a thread.
    public var pending = 0
    /// Works whose closure a thread has started.
    public var started = 0
    /// Works refused because the pool was full.
    public var refused = 0
}

/// A few low-priority threads for CPU-heavy or blocking work (RSA key generation) with a bound on
/// what may wait for them: the request threads stay free and win the CPU, and a flood of heavy
/// requests is refused at once (`WorkPoolError.busy`) instead of queueing without end.
///
/// The caller suspends while its work runs and resumes on its own executor, not on this pool's.
/// Work whose caller is cancelled before a thread takes it up is dropped (`CancellationError`).
public final class BoundedWorkPool: Sendable {
    public let queueLimit: Int
    private let executor: ThreadPoolExecutor
    private let counts = Mutex(WorkPoolStats())

    /// `threads` threads named `name-0` … at `priority`; at most `queueLimit` works admitted at once.
    public init(name: String, threads: Int, queueLimit: Int,
                priority: ThreadPriority = .background) throws(ThreadStartError) {
        self.queueLimit = max(1, queueLimit)
        executor = try ThreadPoolExecutor(name: name, threads: threads, priority: priority)
    }

    deinit {
        executor.shutdown()
    }

    public var stats: WorkPoolStats { counts.withLock { $0 } }

    /// Runs `work` on one of the pool's threads and returns what it returned or threw; throws
    /// `WorkPoolError.busy` without running it when `queueLimit` works are already admitted.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = counts.withLock { counts in
            guard counts.pending < queueLimit else {
                counts.refused += 1
                return false
            }
            counts.pending += 1
            return true
        }
        guard admitted else { throw WorkPoolError.busy }
        defer { counts.withLock { $0.pending -= 1 } }
        // A task of its own carries the work to the pool's executor; awaiting its value resumes
        // this task on its own executor afterwards. The cancellation handler passes the caller's
        // cancellation on, so queued work of a cancelled caller never starts.
        let task = Task(executorPreference: executor) { () throws -> T in
            try Task.checkCancellation()
            self.counts.withLock { $0.started += 1 }
            return try work()
        }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
