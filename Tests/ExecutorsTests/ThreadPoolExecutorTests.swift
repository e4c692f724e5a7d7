import Executors
import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Runs `body` on a fresh thread that is neither the pool's nor the cooperative pool's, the way
/// the SQLite writer thread resumes the tasks waiting for a commit.
private func onForeignThread(_ body: @escaping @Sendable () -> Void) {
    Thread { body() }.start()
}

@Suite("ThreadPoolExecutor: tasks that prefer it run and resume on its threads")
struct ThreadPoolExecutorTests {
    @Test func everyResumptionLandsOnThePoolsThreads() async throws {
        let pool = try ThreadPoolExecutor(name: "probe", threads: 2)
        defer { pool.shutdown() }
        let names = await Task(executorPreference: pool) { () -> [String] in
            var names = [currentThreadName()]
            // Resumed by a foreign thread, as a writer-thread commit resumes its callers.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                onForeignThread { continuation.resume() }
            }
            names.append(currentThreadName())
            try? await Task.sleep(for: .milliseconds(2))
            names.append(currentThreadName())
            // A value produced by a task on the global pool.
            _ = await Task.detached { currentThreadName() }.value
            names.append(currentThreadName())
            // Structured child tasks inherit the preference.
            async let child = currentThreadName()
            names.append(await child)
            await Task.yield()
            names.append(currentThreadName())
            return names
        }.value
        #expect(names.count == 6)
        #expect(names.allSatisfy { $0 == "probe-0" || $0 == "probe-1" }, "\(names)")
    }

    @Test func manyConcurrentTasksAllRunHereAndAllFinish() async throws {
        let pool = try ThreadPoolExecutor(name: "probe-many", threads: 3)
        defer { pool.shutdown() }
        let names = await withTaskGroup(of: String.self) { group in
            for _ in 0..<500 {
                group.addTask(executorPreference: pool) {
                    await Task.yield()
                    return currentThreadName()
                }
            }
            return await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(names.isSubset(of: ["probe-many-0", "probe-many-1", "probe-many-2"]), "\(names)")
    }

    /// Every resumption is an enqueue from another thread while the pool's threads park and
    /// wake: a lost wake-up would leave a job queued with every thread parked, and hang here.
    @Test(.timeLimit(.minutes(1)))
    func noJobIsLostUnderEnqueuesFromManyThreads() async throws {
        let pool = try ThreadPoolExecutor(name: "probe-load", threads: 2)
        defer { pool.shutdown() }
        let finished = await withTaskGroup(of: Int.self) { group in
            for index in 0..<4000 {
                group.addTask(executorPreference: pool) {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        onForeignThread { continuation.resume() }
                    }
                    if index.isMultiple(of: 3) { try? await Task.sleep(for: .microseconds(50)) }
                    return 1
                }
            }
            return await group.reduce(0, +)
        }
        #expect(finished == 4000)
    }

    @Test func afterShutdownTasksStillRunOnTheGlobalExecutor() async throws {
        let pool = try ThreadPoolExecutor(name: "probe-late", threads: 1)
        pool.shutdown()
        // A task that outlives its server resumes after shutdown: it must still complete.
        let name = await Task(executorPreference: pool) { currentThreadName() }.value
        #expect(name != "probe-late-0")
    }
}
