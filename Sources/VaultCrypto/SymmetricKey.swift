/// A 256-bit key for AES-256-GCM and HMAC-SHA256, held in wiped-on-release storage.
///
/// A separate type (rather than bare bytes) means a key of the wrong size cannot reach a cipher.
public struct SymmetricKey: Sendable {
    /// The only key size: 32 bytes (256 bits).
    public static let byteCount = 32

    /// The key bytes.
    public let secret: SecretBytes

    /// Wraps `bytes` (moved to the secure heap: keys live long); throws `invalidKeySize` unless
    /// they are exactly 32 bytes.
    public init(_ bytes: SecretBytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else { throw .invalidKeySize }
        secret = bytes.inSecureHeap()
    }

    /// A fresh random key from the CSPRNG.
    public static func generate() -> SymmetricKey {
        SymmetricKey(unchecked: SecureRandom.secretBytes(count: byteCount))
    }

    private init(unchecked secret: SecretBytes) {
        self.secret = secret.inSecureHeap()
    }
}

extension SymmetricKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SymmetricKey(256 bits)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:], displayStyle: .struct) }
}

extension SymmetricKey: Equatable {
    /// Constant-time, like `SecretBytes`.
    public static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool { lhs.secret == rhs.secret }
}
