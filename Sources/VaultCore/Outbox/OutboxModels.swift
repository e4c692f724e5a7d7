import Foundation

/// Names one outbound message; sent with every delivery attempt, so the receiver can drop a
/// repeat (delivery is at least once).
public struct OutboxMessageID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

public enum OutboxState: String, Sendable, CaseIterable {
    /// Waiting for its next attempt.
    case pending
    /// Accepted by the receiver; its payload is wiped.
    case delivered
    /// Refused or unreachable through every attempt; kept, payload and all, until retried.
    case dead
}

/// A stored outbound message.
public struct OutboxRecord: Sendable, Equatable {
    public var id: OutboxMessageID
    public var tenantID: TenantID
    /// What the message is about, e.g. `connectfi.card-profile`: the receiver's routing key.
    public var topic: String
    /// Nil once delivered.
    public var sealedPayload: [UInt8]?
    public var keyVersion: Int?
    public var state: OutboxState
    public var attempts: Int
    public var nextAttemptAt: Date
    /// Why the last attempt failed: the transport's words, never the payload.
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?

    public init(id: OutboxMessageID, tenantID: TenantID, topic: String, sealedPayload: [UInt8]?, keyVersion: Int?,
                state: OutboxState, attempts: Int, nextAttemptAt: Date, lastError: String?, createdAt: Date,
                deliveredAt: Date?) {
        self.id = id
        self.tenantID = tenantID
        self.topic = topic
        self.sealedPayload = sealedPayload
        self.keyVersion = keyVersion
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

/// A message as a transport sends it: the payload opened, for this attempt only.
public struct OutboundMessage: Sendable {
    public var id: OutboxMessageID
    public var tenantID: TenantID
    public var topic: String
    public var payload: [UInt8]
    /// 1 for the first attempt.
    public var attempt: Int
}

public enum DeliveryResult: Sendable, Equatable {
    case delivered
    /// Worth retrying later: the reason is recorded (never the payload).
    case failed(String)
    /// Refused for good (an HTTP 4xx): the same message would be refused again, so it is dead at
    /// once, kept until an operator retries it.
    case rejected(String)
}

/// How messages leave the vault (an HTTP POST to a configured receiver, in `coffer serve`).
public protocol OutboxTransport: Sendable {
    func deliver(_ message: OutboundMessage) async -> DeliveryResult
}

/// When to try again: exponential backoff from `baseDelay`, capped at `maximumDelay`, each delay
/// drawn from its upper half (so receivers coming back are not hit by every message at once),
/// and dead after `maximumAttempts`.
public struct DeliveryPolicy: Sendable {
    public var maximumAttempts: Int
    public var baseDelay: TimeInterval
    public var maximumDelay: TimeInterval

    public init(maximumAttempts: Int = 12, baseDelay: TimeInterval = 5, maximumDelay: TimeInterval = 3600) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// The delay before attempt `attempts + 1`, `attempts` ≥ 1; `unit` in [0, 1] picks within the upper half.
    public func delay(after attempts: Int, unit: Double) -> TimeInterval {
        let full = min(maximumDelay, baseDelay * pow(2, Double(min(attempts - 1, 62))))
        return full / 2 + full / 2 * min(max(unit, 0), 1)
    }
}
