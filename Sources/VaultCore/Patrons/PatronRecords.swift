import Foundation
import VaultCrypto

/// A credential that signs requests (Ticket Evolution's `X-Token` + `X-Signature`).
public struct SigningCredentialID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// A signing credential as stored (migrations/0015_patrons.sql): the token only as its SHA-256,
/// the secret sealed under `keyVersion` until the credential is revoked, then wiped.
public struct SigningCredentialRecord: Sendable, Equatable {
    public var id: SigningCredentialID
    public var tenantID: TenantID
    public var tokenHash: [UInt8]
    public var label: String
    public var sealedSecret: [UInt8]?
    public var keyVersion: Int?
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: SigningCredentialID, tenantID: TenantID, tokenHash: [UInt8], label: String, sealedSecret: [UInt8]?,
                keyVersion: Int?, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.tenantID = tenantID
        self.tokenHash = tokenHash
        self.label = label
        self.sealedSecret = sealedSecret
        self.keyVersion = keyVersion
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// The integer id of a patron, contact or patron card: random in 1..<2^53, so that JSON clients
/// reading numbers as doubles keep it exact, and ids say nothing of how many a tenant holds.
public struct PatronRowID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let value: Int64

    public static let upperBound: Int64 = 1 << 53

    /// Nil outside 1..<2^53: such an id names nothing.
    public init?(_ value: Int64) {
        guard (1..<Self.upperBound).contains(value) else { return nil }
        self.value = value
    }

    /// The id a path or body names in decimal; nil for anything else.
    public init?(text: String) {
        guard (1...16).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              text.first != "0", let value = Int64(text) else { return nil }
        self.init(value)
    }

    /// 53 bits from the CSPRNG; zero, the one value out of range, is drawn again.
    static func generate() -> PatronRowID {
        while true {
            let bits = SecureRandom.bytes(count: 8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if let id = PatronRowID(Int64(bits & UInt64(upperBound - 1))) { return id }
        }
    }

    public var description: String { String(value) }
    public static func < (lhs: PatronRowID, rhs: PatronRowID) -> Bool { lhs.value < rhs.value }
}

public struct PatronRecord: Sendable, Equatable {
    public var id: PatronRowID
    public var tenantID: TenantID
    /// The patron's name and notes in the API layer's encoding, sealed under `keyVersion`.
    public var sealedProfile: [UInt8]
    public var keyVersion: Int
    public var createdAt: Date

    public init(id: PatronRowID, tenantID: TenantID, sealedProfile: [UInt8], keyVersion: Int, createdAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.sealedProfile = sealedProfile
        self.keyVersion = keyVersion
        self.createdAt = createdAt
    }
}

/// What a contact is: a card's billing address, or the phone number a card names.
public enum PatronContactKind: String, Sendable, CaseIterable {
    case address
    case phoneNumber = "phone_number"
}

public struct PatronContactRecord: Sendable, Equatable {
    public var id: PatronRowID
    public var tenantID: TenantID
    public var patronID: PatronRowID
    public var kind: PatronContactKind
    /// The address or phone number in the API layer's encoding, sealed under `keyVersion`.
    public var sealedDetails: [UInt8]
    public var keyVersion: Int
    public var createdAt: Date

    public init(id: PatronRowID, tenantID: TenantID, patronID: PatronRowID, kind: PatronContactKind,
                sealedDetails: [UInt8], keyVersion: Int, createdAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.patronID = patronID
        self.kind = kind
        self.sealedDetails = sealedDetails
        self.keyVersion = keyVersion
        self.createdAt = createdAt
    }
}

/// A patron's card: a vault card by its token, with the contacts it names and its label and
/// cardholder name sealed.
public struct PatronCardRecord: Sendable, Equatable {
    public var id: PatronRowID
    public var tenantID: TenantID
    public var patronID: PatronRowID
    public var token: Token
    public var addressID: PatronRowID
    public var phoneNumberID: PatronRowID
    public var sealedDetails: [UInt8]
    public var keyVersion: Int
    public var createdAt: Date

    public init(id: PatronRowID, tenantID: TenantID, patronID: PatronRowID, token: Token, addressID: PatronRowID,
                phoneNumberID: PatronRowID, sealedDetails: [UInt8], keyVersion: Int, createdAt: Date) {
        self.id = id
        self.tenantID = tenantID
        self.patronID = patronID
        self.token = token
        self.addressID = addressID
        self.phoneNumberID = phoneNumberID
        self.sealedDetails = sealedDetails
        self.keyVersion = keyVersion
        self.createdAt = createdAt
    }
}
