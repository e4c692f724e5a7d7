import COpenSSL

/// An RSA key pair that clients encrypt card data to; Coffer keeps the private half wrapped
/// under the KEK (see `pkcs8DER`).
///
/// Immutable once made. `@unchecked Sendable` is safe: the `EVP_PKEY` is never modified after
/// `init`, and OpenSSL 3 allows concurrent use of a read-only `EVP_PKEY` — every operation here
/// makes its own `EVP_PKEY_CTX`.
public final class RSAPrivateKey: @unchecked Sendable {
    /// Modulus sizes Coffer makes and accepts.
    public static let supportedSizes: Set<Int> = [2048, 3072, 4096]

    /// The public half, computed once.
    public let publicKey: RSAPublicKey
    /// Modulus size in bits.
    public let bits: Int

    private let pkey: OpaquePointer

    /// Generates a new key pair with public exponent 65537; `unsupportedKeySize` unless `bits`
    /// is in `supportedSizes`.
    public convenience init(generatingBits bits: Int) throws(CryptoError) {
        guard Self.supportedSizes.contains(bits) else { throw .unsupportedKeySize }
        guard let pkey = coffer_EVP_RSA_gen(UInt32(bits)) else { throw .openSSL("EVP_RSA_gen") }
        try self.init(owning: pkey)
    }

    /// Parses an unencrypted PKCS#8 `PrivateKeyInfo` in DER: `invalidKey` unless it is exactly
    /// one RSA private key, `unsupportedKeySize` unless its size is in `supportedSizes`.
    public convenience init(pkcs8DER der: SecretBytes) throws(CryptoError) {
        let parsed: OpaquePointer? = der.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), !buffer.isEmpty else { return nil }
            var cursor: UnsafePointer<UInt8>? = UnsafePointer(base)
            // The decoded structure is freed with its key octets wiped (OpenSSL's ASN.1 callback).
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard cursor == UnsafePointer(base + buffer.count) else { return nil }  // trailing bytes
            return EVP_PKCS82PKEY(info)
        }
        guard let parsed else {
            clearOpenSSLErrors()
            throw .invalidKey
        }
        guard EVP_PKEY_is_a(parsed, "RSA") == 1 else {
            EVP_PKEY_free(parsed)
            throw .invalidKey
        }
        guard Self.supportedSizes.contains(Int(EVP_PKEY_get_bits(parsed))) else {
            EVP_PKEY_free(parsed)
            throw .unsupportedKeySize
        }
        try self.init(owning: parsed)
    }

    /// Takes ownership of `pkey`, freeing it if the public half cannot be derived.
    private init(owning pkey: OpaquePointer) throws(CryptoError) {
        let publicKey: RSAPublicKey
        do {
            publicKey = try RSAPublicKey(subjectPublicKeyInfoDER: Self.subjectPublicKeyInfo(of: pkey))
        } catch {
            EVP_PKEY_free(pkey)
            throw error
        }
        self.pkey = pkey
        self.publicKey = publicKey
        self.bits = Int(EVP_PKEY_get_bits(pkey))
    }

    deinit { EVP_PKEY_free(pkey) }

    /// The key pair as unencrypted PKCS#8 `PrivateKeyInfo` DER, for wrapping under a KEK.
    ///
    /// Encoded straight into OpenSSL's buffer, copied into `SecretBytes`, and that buffer wiped.
    /// (Temporaries inside OpenSSL's encoder are beyond our reach.) Traps only if OpenSSL cannot
    /// encode a key it holds, which means the library itself is broken.
    public var pkcs8DER: SecretBytes {
        guard let encoder = coffer_OSSL_ENCODER_CTX_new_pkcs8_der(pkey) else {
            fatalError("PKCS#8 encoder: \(CryptoError.openSSL("OSSL_ENCODER_CTX_new_for_pkey"))")
        }
        defer { OSSL_ENCODER_CTX_free(encoder) }
        var data: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        guard OSSL_ENCODER_to_data(encoder, &data, &length) == 1, let data else {
            fatalError("PKCS#8 encoding: \(CryptoError.openSSL("OSSL_ENCODER_to_data"))")
        }
        defer { coffer_OPENSSL_clear_free(data, length) }
        return SecretBytes(UnsafeBufferPointer(start: data, count: length))
    }

    /// Decrypts `ciphertext` made with the public key and `padding`.
    ///
    /// Every failure — wrong length, wrong padding, wrong key, corrupt data, even an OpenSSL
    /// error — is the same `.decryptionFailure`, and the error queue is cleared, so nothing
    /// downstream can tell causes apart (no padding oracle).
    public func decrypt(_ ciphertext: [UInt8], padding: RSAPadding) throws(CryptoError) -> SecretBytes {
        let plaintext: SecretBytes? = ciphertext.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress, !input.isEmpty,
                  let context = PKeyContext(pkey),
                  EVP_PKEY_decrypt_init(context.raw) == 1, context.configure(padding)
            else { return nil }
            var capacity = 0
            guard EVP_PKEY_decrypt(context.raw, nil, &capacity, base, input.count) == 1 else { return nil }
            return try? SecretBytes(capacity: capacity) { (out) throws(CryptoError) -> Int in
                var length = out.count
                guard EVP_PKEY_decrypt(context.raw, out.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                       &length, base, input.count) == 1
                else { throw .decryptionFailure }  // `out` is wiped as the storage is dropped
                return length
            }
        }
        guard let plaintext else {
            clearOpenSSLErrors()
            throw .decryptionFailure
        }
        return plaintext
    }

    /// DER SubjectPublicKeyInfo of `pkey`'s public half.
    private static func subjectPublicKeyInfo(of pkey: OpaquePointer) throws(CryptoError) -> [UInt8] {
        var encoded: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pkey, &encoded)
        guard length > 0, let encoded else { throw .openSSL("i2d_PUBKEY") }
        defer { coffer_OPENSSL_free(encoded) }
        return Array(UnsafeBufferPointer(start: encoded, count: Int(length)))
    }
}

extension RSAPrivateKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "RSAPrivateKey(\(bits) bits)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["bits": bits], displayStyle: .class) }
}
