import Foundation

/// Runs blocking or CPU-heavy work — socket calls, waits with a deadline, long randomized loops —
/// on a new thread of its own, and awaits its result.
///
/// Swift's cooperative pool has only as many threads as cores (two on the CI machine), and every
/// test running in parallel shares it with the in-process servers and their handlers: a test that
/// blocks a pool thread in `recv`, `waitpid` or a minute of arithmetic starves the tasks of other
/// tests, down to the very handler whose answer it waits for. Time limits measured inside `body`
/// are measured on the thread that waits, so pool scheduling delays do not count. Assertions stay
/// in the awaiting test, where Swift Testing knows which test they belong to.
public func blocking<T: Sendable, Failure: Error>(
    _ body: @escaping @Sendable () throws(Failure) -> T
) async throws(Failure) -> T {
    let result: Result<T, Failure> = await withCheckedContinuation { continuation in
        Thread {
            continuation.resume(returning: Result { () throws(Failure) -> T in try body() })
        }.start()
    }
    return try result.get()
}

/// Waits on a thread of its own until `condition` holds or `timeout` passes, checking every
/// millisecond; returns whether it holds. The way to wait for something another thread or process
/// does — instead of sleeping for a time that a loaded machine may not honour.
public func waitUntil(within timeout: Duration, _ condition: @escaping @Sendable () -> Bool) async -> Bool {
    await blocking {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return true
    }
}
