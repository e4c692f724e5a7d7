import Executors
import Synchronization
import Testing

/// Runs each test case on two threads of its own instead of Swift's global cooperative pool, with
/// every task it starts (they inherit the preference), and at most ``concurrentCases`` test cases
/// of the process at once.
///
/// The pool has as many threads as cores — two on the CI machine — and `swift test` runs every
/// suite at once on it. A test that computes for a second there (ten thousand cards, a randomized
/// parser loop, a concurrency stress test) holds up the awaits of every other test: a client
/// between two steps of an HTTP exchange waits out the server's timeouts, a deadline measured
/// across an `await` counts someone else's arithmetic. On threads of its own a test competes for
/// the CPU like any thread, under the kernel's fair scheduler; the bound on cases at once keeps
/// that competition to a few threads per core, so a timing test is delayed by a scheduling slice,
/// not by hundreds of other tests.
public struct OwnThreadsTrait: TestTrait, SuiteTrait, TestScoping {
    /// Four per core: enough to overlap tests that wait on processes and sockets.
    public static let concurrentCases = 4 * ThreadPoolExecutor.processorCount

    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Called for a suite (no test case) too: its test cases get threads each, not one share.
        guard testCase != nil else { return try await function() }
        await slots.acquire()
        defer { slots.release() }
        let executor = try ThreadPoolExecutor(name: "test", threads: 2)
        defer { executor.shutdown() }
        try await withTaskExecutorPreference(executor) { try await function() }
    }
}

extension Trait where Self == OwnThreadsTrait {
    /// Each test case on threads of its own; see ``OwnThreadsTrait``.
    public static var ownThreads: Self { OwnThreadsTrait() }
}

private let slots = AsyncSlots(OwnThreadsTrait.concurrentCases)

/// A counting semaphore that suspends instead of blocking, first come first served.
private final class AsyncSlots: Sendable {
    private let state: Mutex<(free: Int, waiters: [CheckedContinuation<Void, Never>])>

    init(_ count: Int) {
        state = Mutex((count, []))
    }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiters.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Hands the slot to the longest waiter, or frees it.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
