import COpenSSL

/// An RSA public key, as published to clients that encrypt card data for Coffer.
///
/// It is a plain value: the canonical SubjectPublicKeyInfo DER plus modulus and exponent,
/// computed once at creation because they are served on every key listing. A parsed `EVP_PKEY`
/// is cached alongside (in an immutable, thread-safe handle) so `encrypt` — used by tests and
/// load generators in tight loops — does not re-parse DER each call. Equality and hashing use
/// the DER only.
public struct RSAPublicKey: Sendable, Equatable, Hashable {
    /// Canonical DER SubjectPublicKeyInfo (re-encoded by OpenSSL, whatever the input's encoding).
    public let subjectPublicKeyInfoDER: [UInt8]
    /// Big-endian modulus, no leading zero byte.
    public let modulus: [UInt8]
    /// Big-endian public exponent, e.g. `[1, 0, 1]`.
    public let exponent: [UInt8]
    /// Modulus size in bits.
    public let bits: Int

    private let key: PKeyHandle

    /// Parses DER SubjectPublicKeyInfo: `invalidKey` if it is not exactly one RSA public key,
    /// `unsupportedKeySize` unless the modulus is 2048, 3072 or 4096 bits.
    public init(subjectPublicKeyInfoDER der: [UInt8]) throws(CryptoError) {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let pkey = d2i_PUBKEY(nil, &cursor, buffer.count) else { return nil }
            guard cursor == base + buffer.count else {  // trailing bytes
                EVP_PKEY_free(pkey)
                return nil
            }
            return pkey
        }
        guard let parsed else {
            clearOpenSSLErrors()
            throw .invalidKey
        }
        let key = PKeyHandle(owning: parsed)
        guard EVP_PKEY_is_a(parsed, "RSA") == 1 else { throw .invalidKey }
        let bits = Int(EVP_PKEY_get_bits(parsed))
        guard RSAPrivateKey.supportedSizes.contains(bits) else { throw .unsupportedKeySize }

        var encoded: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(parsed, &encoded)
        guard length > 0, let encoded else { throw .openSSL("i2d_PUBKEY") }
        subjectPublicKeyInfoDER = Array(UnsafeBufferPointer(start: encoded, count: Int(length)))
        coffer_OPENSSL_free(encoded)

        modulus = try Self.bigEndianParameter(OSSL_PKEY_PARAM_RSA_N, of: parsed)
        exponent = try Self.bigEndianParameter(OSSL_PKEY_PARAM_RSA_E, of: parsed)
        self.bits = bits
        self.key = key
    }

    /// Encrypts `plaintext` for the holder of the private key. Throws `.library` with OpenSSL's
    /// reason if, for instance, the plaintext is too long for the key and padding.
    public func encrypt(_ plaintext: [UInt8], padding: RSAPadding) throws(CryptoError) -> [UInt8] {
        guard let context = PKeyContext(key.raw) else { throw .openSSL("EVP_PKEY_CTX_new") }
        guard EVP_PKEY_encrypt_init(context.raw) == 1, context.configure(padding) else {
            throw .openSSL("EVP_PKEY_encrypt_init")
        }
        return try withNonNullBytes(of: plaintext) { (input, count) -> Result<[UInt8], CryptoError> in
            var capacity = 0
            guard EVP_PKEY_encrypt(context.raw, nil, &capacity, input, count) == 1 else {
                return .failure(.openSSL("EVP_PKEY_encrypt"))
            }
            var failure: CryptoError?
            let ciphertext = [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
                var length = out.count
                if EVP_PKEY_encrypt(context.raw, out.baseAddress, &length, input, count) == 1 {
                    initialized = length
                } else {
                    failure = .openSSL("EVP_PKEY_encrypt")
                    initialized = 0
                }
            }
            if let failure { return .failure(failure) }
            return .success(ciphertext)
        }.get()
    }

    public static func == (lhs: RSAPublicKey, rhs: RSAPublicKey) -> Bool {
        lhs.subjectPublicKeyInfoDER == rhs.subjectPublicKeyInfoDER
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(subjectPublicKeyInfoDER)
    }

    /// An RSA parameter (`n`, `e`) as minimal big-endian bytes.
    private static func bigEndianParameter(_ name: String, of pkey: OpaquePointer) throws(CryptoError) -> [UInt8] {
        var number: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &number) == 1, let number else {
            throw .openSSL("EVP_PKEY_get_bn_param")
        }
        defer { BN_free(number) }
        let count = (Int(BN_num_bits(number)) + 7) / 8
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            initialized = count == 0 ? 0 : Int(BN_bn2bin(number, out.baseAddress))
        }
    }
}
