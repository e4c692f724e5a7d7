import HTTPServer
import Logging
import Synchronization

/// The access-log lines of requests the HTTP layer refused on its own (`HTTPRejection`), rate
/// limited so that a flood of garbage cannot flood the log; the metric counts every one.
///
/// A line names the route template (or `unmatched`), the status (absent when the connection was
/// closed without one), the reason code and the peer — no other request data. Lines held back
/// are counted, and the count is logged one interval after the first of them.
final class RejectionLog: Sendable {
    private let logger: Logger
    private let budget: Mutex<LineBudget>

    init(logger: Logger) {
        self.logger = logger
        budget = Mutex(LineBudget(burst: 10, interval: .seconds(1)))
    }

    /// Called on an event loop's thread, which must never block: the line is written by a task
    /// (a full pipe on stderr stalls that task, not the loop). `route` is only worked out for a
    /// line that is written.
    func write(_ rejection: HTTPRejection, route: @autoclosure () -> String) {
        switch budget.withLock({ $0.spend(at: .now) }) {
        case .write:
            var fields: [(key: String, value: LogValue)] = [
                ("peer", .string(rejection.remoteAddress)), ("reason", .string(rejection.reason)),
                ("route", .string(route())),
            ]
            if let status = rejection.status { fields.append(("status", .int(status.rawValue))) }
            Task { [logger, fields] in logger.log(level: .info, "rejected", fields: fields) }
        case .holdBack(let summaryAfter?):
            Task {
                try? await Task.sleep(for: summaryAfter)
                self.writeSummary()
            }
        case .holdBack(nil):
            break
        }
    }

    private func writeSummary() {
        let count = budget.withLock { $0.takeHeldBack() }
        logger.log(level: .notice, "rejections not logged", fields: [("count", .int(count))])
    }
}

/// A token bucket for log lines: `burst` lines at once, then one per `interval` on average.
struct LineBudget: Sendable {
    let burst: Int
    let interval: Duration
    private var tokens: Double
    private var refilledAt: ContinuousClock.Instant?
    /// Lines refused since the last summary.
    private(set) var heldBack = 0

    enum Decision: Equatable {
        case write
        /// Skip the line. The first one held back since the last summary carries when to write
        /// the next summary; the others carry nil.
        case holdBack(summaryAfter: Duration?)
    }

    init(burst: Int, interval: Duration) {
        self.burst = burst
        self.interval = interval
        tokens = Double(burst)
    }

    mutating func spend(at now: ContinuousClock.Instant) -> Decision {
        if let refilledAt {
            tokens = min(Double(burst), tokens + (now - refilledAt) / interval)
        }
        refilledAt = now
        if tokens >= 1 {
            tokens -= 1
            return .write
        }
        heldBack += 1
        return .holdBack(summaryAfter: heldBack == 1 ? interval : nil)
    }

    /// The lines held back since the last summary, now summarized.
    mutating func takeHeldBack() -> Int {
        defer { heldBack = 0 }
        return heldBack
    }
}
