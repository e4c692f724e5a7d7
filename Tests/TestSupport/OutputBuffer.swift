import Foundation

/// What a child process writes to one of its streams, collected as it arrives, so a test can read
/// it at any time and wait for a line with a deadline.
public final class OutputBuffer: @unchecked Sendable {
    // Safe: `bytes` and `isFinished` are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var bytes = Data()
    private var isFinished = false

    init() {}

    /// Everything received so far.
    public var data: Data { locked { bytes } }

    /// Everything received so far, as UTF-8.
    public var text: String { String(decoding: data, as: UTF8.self) }

    /// Waits, on a thread of its own, until the text received satisfies `condition`, the stream
    /// ends, or `timeout` passes; returns whether the text satisfies `condition`.
    public func wait(within timeout: Duration, until condition: @escaping @Sendable (String) -> Bool) async -> Bool {
        await blocking { self.blockingWait(within: timeout, until: condition) }
    }

    /// Waits until the text received contains `text` (see `wait(within:until:)`).
    public func wait(within timeout: Duration, forText text: String) async -> Bool {
        await wait(within: timeout) { $0.contains(text) }
    }

    private func blockingWait(within timeout: Duration, until predicate: (String) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds)
            + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if predicate(String(decoding: bytes, as: UTF8.self)) { return true }
            if isFinished || !condition.wait(until: deadline) { return predicate(String(decoding: bytes, as: UTF8.self)) }
        }
    }

    func append(_ chunk: some Collection<UInt8>) {
        locked { bytes.append(contentsOf: chunk) }
        condition.broadcast()
    }

    /// The stream ended: no more bytes will come.
    func finish() {
        locked { isFinished = true }
        condition.broadcast()
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}
