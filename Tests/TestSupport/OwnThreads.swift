import Executors
import Testing

/// Runs each test case on two threads of its own instead of Swift's global cooperative pool, with
/// every task it starts (they inherit the preference).
///
/// The pool has as many threads as cores — two on the CI machine — and `swift test` runs every
/// suite at once on it. A test that computes for a second there (ten thousand cards, a randomized
/// parser loop, a concurrency stress test) holds up the awaits of every other test: a client
/// between two steps of an HTTP exchange waits out the server's timeouts, a deadline measured
/// across an `await` counts someone else's arithmetic. On threads of its own, a test competes
/// for the CPU like any thread, under the kernel's fair scheduler, and never for the pool.
public struct OwnThreadsTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Called for a suite (no test case) too: its test cases get threads each, not one share.
        guard testCase != nil else { return try await function() }
        let executor = try ThreadPoolExecutor(name: "test", threads: 2)
        defer { executor.shutdown() }
        try await withTaskExecutorPreference(executor) { try await function() }
    }
}

extension Trait where Self == OwnThreadsTrait {
    /// Each test case on threads of its own; see ``OwnThreadsTrait``.
    public static var ownThreads: Self { OwnThreadsTrait() }
}
