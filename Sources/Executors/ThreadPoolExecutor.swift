import Dispatch
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A `TaskExecutor` (SE-0417) backed by a fixed number of threads of its own, so that tasks
/// created with `Task(executorPreference:)` — and every continuation they later resume from,
/// whichever thread resumes it — run here and never on Swift's global cooperative pool.
///
/// Jobs run in the order they were enqueued, each on whichever thread is free; a thread with
/// nothing to do parks on its own semaphore, and an enqueue wakes exactly one parked thread (the
/// one parked last, whose stack and caches are warmest).
///
/// `shutdown()` lets the threads finish the queue and exit. A job enqueued after that — a task
/// that outlived its owner's shutdown resuming — runs on the global concurrent executor, so it
/// still completes.
public final class ThreadPoolExecutor: TaskExecutor {
    private struct State {
        var jobs = JobQueue<UnownedJob>()
        /// Parked threads by index, the most recently parked last.
        var parked: [Int] = []
        var stopping = false
    }

    private enum Next {
        case run(UnownedJob)
        case park
        case exit
    }

    private let state = Mutex(State())
    /// One per thread: a parked thread waits on its own, so a wake-up reaches exactly one thread.
    private let parkers: [DispatchSemaphore]

    /// Starts `threads` threads named `name-0` … (keep `name` under 13 bytes: the kernel keeps 15).
    public init(name: String, threads: Int, priority: ThreadPriority = .normal) throws(ThreadStartError) {
        let count = max(1, threads)
        parkers = (0..<count).map { _ in DispatchSemaphore(value: 0) }
        for index in 0..<count {
            do throws(ThreadStartError) {
                // Each thread holds the executor until it exits after `shutdown()`.
                try PosixThread.start(named: "\(name)-\(index)", priority: priority) { self.work(index: index) }
            } catch {
                shutdown()
                throw error
            }
        }
    }

    /// Processors online: the base for sizing pools (at least 1).
    public static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let (accepted, wake) = state.withLock { state -> (Bool, Int?) in
            guard !state.stopping else { return (false, nil) }
            state.jobs.append(job)
            return (true, state.parked.popLast())
        }
        if let wake { parkers[wake].signal() }
        if !accepted { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }

    /// Stops taking new jobs (they go to the global executor); the threads finish what is queued,
    /// then exit. Safe to call more than once.
    public func shutdown() {
        let parked = state.withLock { state -> [Int] in
            state.stopping = true
            defer { state.parked.removeAll() }
            return state.parked
        }
        for index in parked { parkers[index].signal() }
    }

    /// A thread's loop. Blocking in `wait()` is right here: this is a thread of our own, parked
    /// only while there is nothing to run.
    private func work(index: Int) {
        let executor = asUnownedTaskExecutor()
        while true {
            let next = state.withLock { state -> Next in
                if let job = state.jobs.popFirst() { return .run(job) }
                if state.stopping { return .exit }
                state.parked.append(index)
                return .park
            }
            switch next {
            case .run(let job): job.runSynchronously(on: executor)
            case .park: parkers[index].wait()
            case .exit: return
            }
        }
    }
}
