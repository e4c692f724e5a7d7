/// The identifier of a tenant's RSA card-data key, as sent in `keyID`: 22 characters of the
/// Base64URL alphabet (16 random bytes, unpadded). Validated once so routes and storage can
/// trust it. Not secret: it prints as itself and encodes as a plain string.
public struct KeyID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Validates `string`: exactly 22 characters, each of `A–Z a–z 0–9 - _`.
    public init(_ string: String) throws(CardError) {
        let utf8 = string.utf8
        guard utf8.count == 22, utf8.allSatisfy(Base64URL.isAlphabetByte) else {
            throw .invalidKeyID
        }
        rawValue = string
    }

    /// Wraps a string already known to be valid, such as a freshly generated identifier.
    /// Checked only in debug builds; use `init(_:)` for anything from outside.
    public init(unchecked rawValue: String) {
        assert(rawValue.utf8.count == 22 && rawValue.utf8.allSatisfy(Base64URL.isAlphabetByte))
        self.rawValue = rawValue
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do {
            try self.init(string)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: CardError.invalidKeyID.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.rawValue < rhs.rawValue }
}
