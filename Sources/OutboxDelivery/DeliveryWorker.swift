import Executors
import Logging
import Synchronization
import VaultCore

/// What a worker has done since it started, and what waited at its last round: the
/// `coffer_outbox_*` metrics.
public struct DeliveryStatistics: Sendable, Equatable {
    public var delivered = 0
    /// Attempts that failed, whether retried later or the last.
    public var failedAttempts = 0
    /// Messages this worker made dead (last attempt failed, or refused for good).
    public var dead = 0
    /// Pending messages, due or not, as of the last round.
    public var pending = 0
    /// Dead messages waiting for `coffer outbox retry`, as of the last round.
    public var deadWaiting = 0
}

/// `coffer serve`'s outbound delivery: every `pollInterval`, delivers every due message through
/// `transport` (`OutboxService.deliverDue`, in batches until none is left), then counts what
/// waits.
///
/// It runs on a thread of its own (`coffer-outbox-0`), a task executor like the handlers': the
/// SQLite reads of a round block that thread, never Swift's cooperative pool or a handler; the
/// HTTP exchange itself blocks only the transport client's threads. `stop()` cancels the loop:
/// a delivery in flight runs to its end (bounded by the client's total timeout) and its outcome
/// is recorded; the rest stay due for the next start. Nothing is lost either way, since a message
/// leaves the pending state only when its outcome is written.
public final class DeliveryWorker: Sendable {
    public struct Settings: Sendable {
        public var policy = DeliveryPolicy()
        public var pollInterval: Duration = .seconds(1)
        /// Messages per `deliverDue` call: the loop checks for a stop between them anyway.
        public var batchSize = 50

        public init() {}
    }

    private let outbox: OutboxService
    private let transport: any OutboxTransport
    private let settings: Settings
    private let logger: Logger
    private let executor: ThreadPoolExecutor
    private let loop = Mutex<Task<Void, Never>?>(nil)
    private let counts = Mutex(DeliveryStatistics())

    public init(outbox: OutboxService, transport: any OutboxTransport, settings: Settings = Settings(),
                logger: Logger) throws(ThreadStartError) {
        self.outbox = outbox
        self.transport = transport
        self.settings = settings
        self.logger = logger
        executor = try ThreadPoolExecutor(name: "coffer-outbox", threads: 1)
    }

    public var statistics: DeliveryStatistics { counts.withLock { $0 } }

    public func start() {
        let task = Task(executorPreference: executor) { await self.run() }
        loop.withLock { $0 = task }
    }

    /// Returns once the delivery in flight, if any, has ended and been recorded.
    public func stop() async {
        let task = loop.withLock { $0 }
        task?.cancel()
        await task?.value
        executor.shutdown()
    }

    private func run() async {
        let observed = Observed(worker: self)
        while !Task.isCancelled {
            do {
                while try await outbox.deliverDue(via: observed, policy: settings.policy, limit: settings.batchSize)
                    == settings.batchSize, !Task.isCancelled {}
                let (pending, dead) = (try await outbox.count(state: .pending), try await outbox.count(state: .dead))
                counts.withLock { ($0.pending, $0.deadWaiting) = (pending, dead) }
            } catch {
                logger.error("outbox delivery round failed", metadata: ["error": .string("\(error)")])
            }
            // Cancelled at stop: the sleep throws and the loop ends.
            try? await Task.sleep(for: settings.pollInterval)
        }
    }

    /// Counts and logs each attempt's outcome: ids, topic, attempt and reason — never the payload.
    private struct Observed: OutboxTransport {
        let worker: DeliveryWorker

        func deliver(_ message: OutboundMessage) async -> DeliveryResult {
            let result = await worker.transport.deliver(message)
            var metadata: [String: LogValue] = [
                "id": .string(message.id.rawValue), "topic": .string(message.topic), "attempt": .int(message.attempt),
            ]
            switch result {
            case .delivered:
                worker.counts.withLock { $0.delivered += 1 }
                worker.logger.info("outbox message delivered", metadata: metadata)
            case .failed(let reason), .rejected(let reason):
                let isDead: Bool
                if case .rejected = result { isDead = true } else { isDead = message.attempt >= worker.settings.policy.maximumAttempts }
                worker.counts.withLock {
                    $0.failedAttempts += 1
                    if isDead { $0.dead += 1 }
                }
                metadata["reason"] = .string(reason)
                worker.logger.warning(isDead ? "outbox message dead: run `coffer outbox retry` once the receiver is fixed"
                                             : "outbox delivery failed, will retry", metadata: metadata)
            }
            return result
        }
    }
}
