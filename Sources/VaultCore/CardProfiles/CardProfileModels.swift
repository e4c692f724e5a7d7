import Foundation
import VaultCrypto

/// Whom a customer is: a person, or a business with its representatives. The id's prefix says it.
public enum CustomerType: String, Sendable, CaseIterable {
    case individual
    case business

    /// connectFi's prefixes: `cstap_` for individuals, `cstab_` for businesses (and their representatives).
    public var idPrefix: String {
        switch self {
        case .individual: "cstap_"
        case .business: "cstab_"
        }
    }
}

/// An identifier a dialect shows in its own shape: a fixed prefix, then 22 random base62
/// characters (about 131 bits). Never derived from a vault token, whose `-` the dialect refuses.
public protocol PrefixedIdentifier: Hashable, Sendable, CustomStringConvertible {
    var rawValue: String { get }
    init(unchecked rawValue: String)
}

public enum Base62 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    public static let randomLength = 22

    /// `count` characters drawn uniformly from the CSPRNG (bytes ≥ 248 are dropped: no modulo bias).
    public static func random(count: Int = randomLength) -> String {
        var characters: [UInt8] = []
        while characters.count < count {
            for byte in SecureRandom.bytes(count: count) where byte < 248 && characters.count < count {
                characters.append(alphabet[Int(byte % 62)])
            }
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// True for `prefix` followed by exactly `randomLength` base62 characters.
    public static func isValid(_ string: String, prefix: String) -> Bool {
        guard string.hasPrefix(prefix) else { return false }
        let rest = string.utf8.dropFirst(prefix.utf8.count)
        return rest.count == randomLength && rest.allSatisfy { alphabet.contains($0) }
    }
}

extension PrefixedIdentifier {
    public var description: String { rawValue }
}

/// A customer: `cstap_…` or `cstab_…`. A business's representatives get ids of the same shape.
public struct ProfileCustomerID: PrefixedIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }

    public init?(validating string: String) {
        guard CustomerType.allCases.contains(where: { Base62.isValid(string, prefix: $0.idPrefix) }) else { return nil }
        rawValue = string
    }

    public static func generate(_ type: CustomerType) -> ProfileCustomerID {
        ProfileCustomerID(unchecked: type.idPrefix + Base62.random())
    }

    public var type: CustomerType { rawValue.hasPrefix(CustomerType.business.idPrefix) ? .business : .individual }
}

/// A vault card linked to a customer: `icrd_…`.
public struct ProfileCardID: PrefixedIdentifier {
    public static let prefix = "icrd_"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }

    public init?(validating string: String) {
        guard Base62.isValid(string, prefix: Self.prefix) else { return nil }
        rawValue = string
    }

    public static func generate() -> ProfileCardID { ProfileCardID(unchecked: prefix + Base62.random()) }
}

/// A login that opens sessions of its tenant (`POST /auth/get-token`).
public struct ProfileLoginID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// A login as listed: its name exists only as a keyed MAC, so it is shown once, at creation.
public struct ProfileLogin: Sendable, Equatable {
    public var id: ProfileLoginID
    public var createdAt: Date
}

/// A session token, shown once: the store keeps its SHA-256 only.
public struct ProfileSession: Sendable {
    public var token: String
    public var expiresAt: Date
}

/// A customer's sealed document opened: what the dialect stored (reference, type, personal data,
/// in its own encoding).
public struct ProfileCustomer: Sendable {
    public var id: ProfileCustomerID
    public var document: [UInt8]
    public var createdAt: Date
    public var updatedAt: Date
}

/// Which vault card a link names: one already stored, or card data stored with the link.
public enum ProfileCardSource: Sendable {
    case token(Token)
    case card(CardInput)
}

/// A linked card with its sealed parts opened.
public struct ProfileCard: Sendable {
    public var id: ProfileCardID
    public var customerID: ProfileCustomerID
    public var token: Token
    public var reference: String?
    /// The cardholder profile last synced, in the dialect's encoding; nil until the first sync.
    public var profile: [UInt8]?
    public var createdAt: Date
    public var syncedAt: Date?
}

/// Why a card-profile request was refused, with the dialect's stable codes.
public enum CardProfileError: Error, Sendable, Equatable {
    case customerNotFound
    case cardNotFound
    /// The tenant already has a customer with this reference.
    case referenceExists
    case loginNotFound
    /// Another login, of any tenant, has this name.
    case loginExists
    /// The vault card to link is not the tenant's.
    case vaultCardNotFound
    /// The cardholder named is not one of the customer's (or not the customer itself).
    case cardHolderNotFound
    /// A business customer's sync must name the cardholder and its type.
    case cardHolderRequired
    /// The customer has no PRIMARY address, or no MOBILE phone, or no email, to sync.
    case profileIncomplete(String)
    /// The record kept changing under concurrent writers; retrying later will do.
    case conflict

    public var code: String {
        switch self {
        case .customerNotFound: "customerNotFound"
        case .cardNotFound: "cardNotFound"
        case .referenceExists: "referenceExists"
        case .loginNotFound: "loginNotFound"
        case .loginExists: "loginExists"
        case .vaultCardNotFound: "vaultCardNotFound"
        case .cardHolderNotFound: "cardHolderNotFound"
        case .cardHolderRequired: "cardHolderRequired"
        case .profileIncomplete: "profileIncomplete"
        case .conflict: "conflict"
        }
    }

    public var message: String {
        switch self {
        case .customerNotFound: "Customer not found"
        case .cardNotFound: "Card not found"
        case .referenceExists: "A customer with this reference already exists"
        case .loginNotFound: "Login not found"
        case .loginExists: "A login with this name already exists"
        case .vaultCardNotFound: "Vault card not found"
        case .cardHolderNotFound: "Card holder not found for this customer"
        case .cardHolderRequired: "cardHolderId and cardHolderType are required for business customers"
        case .profileIncomplete(let missing): "The customer has no \(missing) to sync"
        case .conflict: "The record changed meanwhile; try again"
        }
    }
}

extension AuditAction {
    public static let profileLoginCreate = AuditAction(rawValue: "profilelogin.create")
    public static let profileLoginDelete = AuditAction(rawValue: "profilelogin.delete")
    public static let profileCustomerCreate = AuditAction(rawValue: "profilecustomer.create")
    public static let profileCustomerUpdate = AuditAction(rawValue: "profilecustomer.update")
    public static let profileCardLink = AuditAction(rawValue: "profilecard.link")
    /// A customer's details copied into a linked card's cardholder profile.
    public static let profileCardSync = AuditAction(rawValue: "profilecard.sync")
}
