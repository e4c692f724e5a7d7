import Dispatch
import Executors
import Foundation
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Holds the pool's one thread inside a work until the test lets it go. Blocking that thread is
/// the point (it is the pool's, not the cooperative pool's).
private final class Blocker: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    let entered = DispatchSemaphore(value: 0)
    func hold() {
        entered.signal()
        semaphore.wait()
    }
    func release() { semaphore.signal() }
}

/// Counts what the works did, across threads.
private final class Tally: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ amount: Int) { count.add(amount, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

@Suite("BoundedWorkPool: heavy work on few low-priority threads, refused when full")
struct BoundedWorkPoolTests {
    /// Waits, off the cooperative pool, until the pool's thread is inside the blocking work.
    private func waitUntilInside(_ blocker: Blocker) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                blocker.entered.wait()
                continuation.resume()
            }.start()
        }
    }

    @Test func beyondTheQueueLimitWorkIsRefusedAndNeverRuns() async throws {
        let pool = try BoundedWorkPool(name: "heavy-limit", threads: 1, queueLimit: 3)
        let blocker = Blocker()
        let ran = Tally()
        let first = Task { try await pool.run { blocker.hold(); ran.add(1) } }
        await waitUntilInside(blocker)
        let queued = (0..<2).map { _ in Task { try await pool.run { ran.add(1) } } }
        while pool.stats.pending < 3 { await Task.yield() }
        await #expect(throws: WorkPoolError.busy) { try await pool.run { ran.add(100) } }
        let stats = pool.stats
        #expect(stats.pending == 3 && stats.started == 1 && stats.refused == 1, "\(stats)")
        blocker.release()
        try await first.value
        for task in queued { try await task.value }
        #expect(ran.value == 3)
        #expect(pool.stats.pending == 0)
        // Room again once the queue has drained.
        #expect(try await pool.run { 7 } == 7)
    }

    @Test func workRunsOnThePoolsThreadsAtBackgroundPriority() async throws {
        let pool = try BoundedWorkPool(name: "heavy-prio", threads: 2, queueLimit: 4)
        let seen = try await pool.run { () -> (name: String, policy: Int32, nice: Int32) in
            errno = 0
            return (currentThreadName(), sched_getscheduler(0), getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        }
        #expect(seen.name.hasPrefix("heavy-prio-"))
        #expect(seen.policy == 3)  // SCHED_BATCH
        #expect(seen.nice == 10)
    }

    @Test func theCallerResumesOnItsOwnExecutor() async throws {
        let requests = try ThreadPoolExecutor(name: "requests", threads: 1)
        defer { requests.shutdown() }
        let pool = try BoundedWorkPool(name: "heavy-hop", threads: 1, queueLimit: 4)
        let names = try await Task(executorPreference: requests) { () throws -> [String] in
            let during = try await pool.run { currentThreadName() }
            return [during, currentThreadName()]
        }.value
        #expect(names == ["heavy-hop-0", "requests-0"])
    }

    @Test func queuedWorkOfACancelledCallerNeverStarts() async throws {
        let pool = try BoundedWorkPool(name: "heavy-cancel", threads: 1, queueLimit: 4)
        let blocker = Blocker()
        let ran = Tally()
        let first = Task { try await pool.run { blocker.hold() } }
        await waitUntilInside(blocker)
        let cancelled = Task { try await pool.run { ran.add(1) } }
        while pool.stats.pending < 2 { await Task.yield() }
        cancelled.cancel()
        blocker.release()
        try await first.value
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(ran.value == 0)
        #expect(pool.stats.started == 1)
    }
}
