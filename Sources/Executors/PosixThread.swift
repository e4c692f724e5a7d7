#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// How a thread of ours competes for the CPU.
public enum ThreadPriority: Sendable, Hashable {
    /// The default: the same share as every other thread of the process.
    case normal
    /// `SCHED_BATCH` at nice 10: the kernel treats the thread as CPU-bound, never lets it preempt
    /// a waking thread, and gives it about a tenth of the weight of a `.normal` one — so request
    /// threads win the CPU, while the work still advances on a busy machine (unlike `SCHED_IDLE`).
    case background
}

/// Why a thread could not be started: `pthread_create`'s error number.
public struct ThreadStartError: Error, Sendable, Equatable {
    public var code: Int32
}

/// Detached POSIX threads with a kernel-visible name, for work that must not run on Swift's
/// cooperative pool: event loops, blocking calls, executors of our own.
public enum PosixThread {
    /// Starts a detached thread named `name` (at most 15 bytes reach the kernel) that runs `body`.
    public static func start(named name: String, priority: ThreadPriority = .normal,
                             _ body: @escaping @Sendable () -> Void) throws(ThreadStartError) {
        let start = Unmanaged.passRetained(Start(name: name, priority: priority, body: body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, start)
        guard result == 0 else {
            Unmanaged<Start>.fromOpaque(start).release()
            throw ThreadStartError(code: result)
        }
        pthread_detach(thread)
    }

    /// Runs `body` on a new thread named `name` and returns its result: for one blocking call —
    /// connecting to a database, applying its migrations — that must not hold a pool thread.
    public static func run<T: Sendable>(named name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            do {
                try start(named: name) { continuation.resume(with: Result { try body() }) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    private final class Start {
        let name: String
        let priority: ThreadPriority
        let body: @Sendable () -> Void

        init(name: String, priority: ThreadPriority, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.priority = priority
            self.body = body
        }

        /// The new thread's first and only call.
        func run() {
            PosixThread.setName(name)
            PosixThread.apply(priority)
            body()
        }
    }

    /// Names the calling thread as `top -H`, `perf` and `/proc/PID/task/*/comm` show it. Written
    /// through procfs because Glibc's `pthread_setname_np` and `prctl` do not import into Swift.
    fileprivate static func setName(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = write(fd, bytes, bytes.count)
        close(fd)
    }

    /// Linux keeps the policy and nice value per thread, so both calls affect only the caller.
    fileprivate static func apply(_ priority: ThreadPriority) {
        guard priority == .background else { return }
        var parameters = sched_param()
        _ = sched_setscheduler(0, schedBatch, &parameters)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
    }

    /// `SCHED_BATCH` from `<sched.h>`, declared only under `_GNU_SOURCE` (Linux ABI, stable).
    private static let schedBatch: Int32 = 3
}
