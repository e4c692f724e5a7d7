import Foundation
import VaultCrypto

/// Random 128-bit identifiers rendered as 22 Base64URL characters (DESIGN.md "Formats").
/// One implementation serves tokens, tenant ids, key ids and API key ids, so they can never
/// drift apart in alphabet or length, and none is ever derived from card data.
public protocol RandomIdentifier: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    var rawValue: String { get }
    /// Wraps an already validated string; use `init?(validating:)` or `generate()` instead.
    init(unchecked rawValue: String)
}

public enum IdentifierFormat {
    public static let length = 22

    /// True for exactly 22 characters of `[A-Za-z0-9_-]`. Checked over the contiguous UTF-8
    /// bytes, not through the slower `String.UTF8View` iterator: a token in a path is checked
    /// on every request.
    public static func isValid(_ string: String) -> Bool {
        var string = string
        return string.withUTF8 { $0.count == length && $0.allSatisfy(Base64URL.isAlphabetByte) }
    }

    /// 16 bytes from the CSPRNG, Base64URL without padding. Drawn into a stack buffer: every
    /// request without an `X-Request-Id` of its own gets one.
    public static func random() -> String {
        var bytes: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &bytes) { buffer in
            SecureRandom.fill(buffer)
            return Base64URL.encode(UnsafeRawBufferPointer(buffer))
        }
    }
}

extension RandomIdentifier {
    public init?(validating string: String) {
        guard IdentifierFormat.isValid(string) else { return nil }
        self.init(unchecked: string)
    }

    public static func generate() -> Self { Self(unchecked: IdentifierFormat.random()) }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        guard IdentifierFormat.isValid(string) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a 22-character identifier"))
        }
        self.init(unchecked: string)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The reference a caller keeps instead of a card number.
public struct Token: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// A tenant: one customer of the vault, with its own fingerprint key and card-data keys.
public struct TenantID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// The public, non-secret half of an API key; the secret half is only ever stored hashed.
public struct APIKeyID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Names one of a tenant's RSA card-data keys, as clients send it in `keyID`. Not secret.
public struct KeyID: RandomIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }

    /// Validates a `keyID` from outside: exactly 22 characters of `[A-Za-z0-9_-]`.
    public init(_ string: String) throws(CardError) {
        guard IdentifierFormat.isValid(string) else { throw .invalidKeyID }
        rawValue = string
    }
}

/// 96 random bits as 24 lowercase hex characters: the shape of the client and payment-method ids
/// that Q2-style client-sync APIs hand out, so integrations that validate them keep working.
public protocol HexIdentifier: Hashable, Sendable, CustomStringConvertible {
    var rawValue: String { get }
    init(unchecked rawValue: String)
}

extension HexIdentifier {
    public init?(validating string: String) {
        guard string.utf8.count == 24,
              string.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        self.init(unchecked: string)
    }

    public static func generate() -> Self {
        Self(unchecked: SecureRandom.bytes(count: 12).map { String(format: "%02x", $0) }.joined())
    }

    public var description: String { rawValue }
}

/// A client of a tenant in client sync, found again by the caller's own identifier.
public struct SyncClientID: HexIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// One of a sync client's payment methods; it refers to a card or bank account by token.
public struct PaymentMethodID: HexIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}
