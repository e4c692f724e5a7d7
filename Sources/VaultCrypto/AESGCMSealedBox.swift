/// The output of `AESGCM.seal`: nonce, ciphertext and tag, kept together so they travel and are
/// stored as one value. Sizes are checked on creation, so a box always has a 12-byte nonce and a
/// 16-byte tag.
public struct AESGCMSealedBox: Sendable, Equatable, Hashable {
    /// 96-bit nonces: the size GCM is designed for, and the only one accepted.
    public static let nonceSize = 12
    /// Full 128-bit tags; truncated tags are refused.
    public static let tagSize = 16

    public let nonce: [UInt8]
    public let ciphertext: [UInt8]
    public let tag: [UInt8]

    /// Checks the sizes: `invalidNonceSize` unless 12 bytes, `invalidTagSize` unless 16.
    public init(nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) throws(CryptoError) {
        guard nonce.count == Self.nonceSize else { throw .invalidNonceSize }
        guard tag.count == Self.tagSize else { throw .invalidTagSize }
        self.init(unchecked: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// Splits `nonce ‖ ciphertext ‖ tag`; `invalidCiphertext` if shorter than nonce plus tag.
    public init(combined: [UInt8]) throws(CryptoError) {
        guard combined.count >= Self.nonceSize + Self.tagSize else { throw .invalidCiphertext }
        let tagStart = combined.count - Self.tagSize
        self.init(
            unchecked: Array(combined[..<Self.nonceSize]),
            ciphertext: Array(combined[Self.nonceSize..<tagStart]),
            tag: Array(combined[tagStart...])
        )
    }

    init(unchecked nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }

    /// `nonce ‖ ciphertext ‖ tag`, the usual single-blob storage form.
    public var combined: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(nonce.count + ciphertext.count + tag.count)
        out += nonce
        out += ciphertext
        out += tag
        return out
    }
}
