import Foundation

/// Who caused an audit event, and from where: PCI DSS 10.2.2 asks for the user, the origination
/// of the event and enough to tie it to the request. A plain string literal names an actor with
/// no network origin (`"cli"`).
public struct AuditActor: Sendable, Equatable, ExpressibleByStringLiteral {
    /// An API key (`apikey:ID`), a client session (`client:ID`), `cli`, or `anonymous`.
    public var name: String
    /// The peer's IP address, for requests that came over the network.
    public var source: String?
    /// The request's `X-Request-Id` (the caller's when plain, else one Coffer drew).
    public var requestID: String?

    public init(name: String, source: String? = nil, requestID: String? = nil) {
        self.name = name
        self.source = source
        self.requestID = requestID
    }

    public init(stringLiteral name: String) { self.init(name: name) }
}

/// Something that must leave a trace: every tokenization, reveal, key operation, admin action and
/// failed authentication. Events name tokens and ids, never card data.
public struct AuditEvent: Sendable, Equatable {
    public var tenantID: TenantID?
    public var actor: AuditActor
    public var action: AuditAction
    /// What was acted on: a token, key id, tenant id.
    public var subject: String?
    public var outcome: AuditOutcome
    /// How many occurrences this entry stands for: 1, except for aggregated entries (failed
    /// authentication from one source within one interval).
    public var count: Int

    public init(tenantID: TenantID?, actor: AuditActor, action: AuditAction, subject: String?, outcome: AuditOutcome,
                count: Int = 1) {
        self.tenantID = tenantID
        self.actor = actor
        self.action = action
        self.subject = subject
        self.outcome = outcome
        self.count = count
    }
}

/// The stable vocabulary of audit actions; new actions are added, never renamed.
public struct AuditAction: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let tenantCreate = AuditAction(rawValue: "tenant.create")
    public static let tenantDisable = AuditAction(rawValue: "tenant.disable")
    public static let tenantEnable = AuditAction(rawValue: "tenant.enable")
    public static let apiKeyCreate = AuditAction(rawValue: "apikey.create")
    public static let apiKeyRevoke = AuditAction(rawValue: "apikey.revoke")
    /// A dead outbound message put back in the queue by an operator.
    public static let outboxRetry = AuditAction(rawValue: "outbox.retry")
    /// Card data stored: a card, a single-use card token, an account's card, a synced card.
    public static let cardTokenize = AuditAction(rawValue: "card.tokenize")
    public static let cardReveal = AuditAction(rawValue: "card.reveal")
    public static let cardDelete = AuditAction(rawValue: "card.delete")
    public static let accountUpdate = AuditAction(rawValue: "account.update")
    public static let accountDelete = AuditAction(rawValue: "account.delete")
    public static let cardDataKeyCreate = AuditAction(rawValue: "cardkey.create")
    public static let cardDataKeyDelete = AuditAction(rawValue: "cardkey.delete")
    public static let dataKeyRotate = AuditAction(rawValue: "datakey.rotate")
    public static let dataKeyRetire = AuditAction(rawValue: "datakey.retire")
    public static let masterKeyRotate = AuditAction(rawValue: "masterkey.rotate")
    public static let masterKeyRotationFinish = AuditAction(rawValue: "masterkey.finish")
    public static let paymentSettingsUpdate = AuditAction(rawValue: "paymentsettings.update")
    public static let gatewayCardSync = AuditAction(rawValue: "gatewaycard.sync")
    public static let gatewayCardDelete = AuditAction(rawValue: "gatewaycard.delete")
    public static let signingCredentialCreate = AuditAction(rawValue: "signingcredential.create")
    public static let signingCredentialRevoke = AuditAction(rawValue: "signingcredential.revoke")
    public static let authenticationFailure = AuditAction(rawValue: "auth.failure")
}

public enum AuditOutcome: String, Sendable {
    case success, failure
}

/// A stored audit event with its place in the MAC chain.
public struct AuditEntry: Sendable, Equatable {
    public var sequence: Int64
    /// Milliseconds since 1970, the precision that is authenticated and stored.
    public var timestampMillis: Int64
    public var event: AuditEvent
    /// How `mac` was computed: see `AuditChain.Version`.
    public var chainVersion: AuditChain.Version
    public var previousMAC: [UInt8]
    public var mac: [UInt8]

    public init(sequence: Int64, timestampMillis: Int64, event: AuditEvent, chainVersion: AuditChain.Version,
                previousMAC: [UInt8], mac: [UInt8]) {
        self.sequence = sequence
        self.timestampMillis = timestampMillis
        self.event = event
        self.chainVersion = chainVersion
        self.previousMAC = previousMAC
        self.mac = mac
    }
}
