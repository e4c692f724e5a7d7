import Foundation

/// Something that must leave a trace: every reveal, key operation, admin action and failed
/// authentication. Events name tokens and ids, never card data.
public struct AuditEvent: Sendable, Equatable {
    public var tenantID: TenantID?
    /// Who acted: an API key id, "cli", or "anonymous" for failed authentication.
    public var actor: String
    public var action: AuditAction
    /// What was acted on: a token, key id, tenant id.
    public var subject: String?
    public var outcome: AuditOutcome

    public init(tenantID: TenantID?, actor: String, action: AuditAction, subject: String?, outcome: AuditOutcome) {
        self.tenantID = tenantID
        self.actor = actor
        self.action = action
        self.subject = subject
        self.outcome = outcome
    }
}

/// The stable vocabulary of audit actions; new actions are added, never renamed.
public struct AuditAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let tenantCreate = AuditAction(rawValue: "tenant.create")
    public static let apiKeyCreate = AuditAction(rawValue: "apikey.create")
    public static let apiKeyRevoke = AuditAction(rawValue: "apikey.revoke")
    public static let cardReveal = AuditAction(rawValue: "card.reveal")
    public static let cardDelete = AuditAction(rawValue: "card.delete")
    public static let accountUpdate = AuditAction(rawValue: "account.update")
    public static let accountDelete = AuditAction(rawValue: "account.delete")
    public static let cardDataKeyCreate = AuditAction(rawValue: "cardkey.create")
    public static let cardDataKeyDelete = AuditAction(rawValue: "cardkey.delete")
    public static let dataKeyRotate = AuditAction(rawValue: "datakey.rotate")
    public static let paymentSettingsUpdate = AuditAction(rawValue: "paymentsettings.update")
    public static let gatewayCardSync = AuditAction(rawValue: "gatewaycard.sync")
    public static let gatewayCardDelete = AuditAction(rawValue: "gatewaycard.delete")
    public static let authenticationFailure = AuditAction(rawValue: "auth.failure")
}

public enum AuditOutcome: String, Sendable {
    case success, failure
}

/// A stored audit event with its place in the hash chain.
public struct AuditEntry: Sendable, Equatable {
    public var sequence: Int64
    /// Milliseconds since 1970, the precision that is hashed and stored.
    public var timestampMillis: Int64
    public var event: AuditEvent
    public var previousHash: [UInt8]
    public var hash: [UInt8]

    public init(sequence: Int64, timestampMillis: Int64, event: AuditEvent, previousHash: [UInt8], hash: [UInt8]) {
        self.sequence = sequence
        self.timestampMillis = timestampMillis
        self.event = event
        self.previousHash = previousHash
        self.hash = hash
    }
}
