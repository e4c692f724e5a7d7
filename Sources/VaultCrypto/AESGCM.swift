import COpenSSL

/// AES-256-GCM authenticated encryption, the cipher for card data at rest.
///
/// `seal` draws a random 96-bit nonce unless given one; `open` returns the plaintext only if the
/// tag verifies for the same key, nonce and AAD, and otherwise throws `authenticationFailure`
/// (never partial or garbage plaintext). Each call uses its own `EVP_CIPHER_CTX`, so both are
/// safe to call from any number of threads.
public enum AESGCM {
    /// Encrypts `plaintext` under `key`.
    ///
    /// - Parameters:
    ///   - nonce: 12 bytes, or `nil` for a fresh random nonce (the right choice unless a
    ///     protocol dictates one: a nonce must never repeat under the same key).
    ///   - aad: data bound to the ciphertext but not encrypted (e.g. the row it belongs to).
    public static func seal(
        _ plaintext: [UInt8], using key: SymmetricKey, nonce: [UInt8]? = nil,
        authenticating aad: [UInt8] = []
    ) throws(CryptoError) -> AESGCMSealedBox {
        try withBytes(of: plaintext) { (bytes) throws(CryptoError) in
            try seal(bytes, using: key, nonce: nonce, authenticating: aad)
        }
    }

    /// Encrypts secret `plaintext` under `key`; see `seal(_:using:nonce:authenticating:)`.
    public static func seal(
        _ plaintext: SecretBytes, using key: SymmetricKey, nonce: [UInt8]? = nil,
        authenticating aad: [UInt8] = []
    ) throws(CryptoError) -> AESGCMSealedBox {
        try plaintext.withUnsafeBytes { (bytes) throws(CryptoError) in
            try seal(bytes, using: key, nonce: nonce, authenticating: aad)
        }
    }

    /// Decrypts and verifies `box`; throws `authenticationFailure` if anything does not match.
    /// The plaintext goes straight into wiped-on-release storage.
    public static func open(
        _ box: AESGCMSealedBox, using key: SymmetricKey, authenticating aad: [UInt8] = []
    ) throws(CryptoError) -> SecretBytes {
        let context = try CipherContext()
        try context.start(encrypting: false, key: key, nonce: box.nonce)
        try withBytes(of: box.tag) { (tag) throws(CryptoError) in
            // SET_TAG only reads the buffer; the C signature is `void *` for all controls.
            guard EVP_CIPHER_CTX_ctrl(context.raw, EVP_CTRL_GCM_SET_TAG, Int32(tag.count),
                                      UnsafeMutableRawPointer(mutating: tag.baseAddress)) == 1
            else { throw .openSSL("EVP_CTRL_GCM_SET_TAG") }
        }
        _ = try withBytes(of: aad) { (aad) throws(CryptoError) in try context.update(aad, into: nil) }
        return try withBytes(of: box.ciphertext) { (ciphertext) throws(CryptoError) in
            try SecretBytes(capacity: ciphertext.count) { (out) throws(CryptoError) -> Int in
                let written = try context.update(ciphertext, into: out.baseAddress)
                guard context.finish() else {
                    clearOpenSSLErrors()
                    throw .authenticationFailure  // `out` is wiped as the storage is dropped
                }
                return written
            }
        }
    }

    static func seal(
        _ plaintext: UnsafeRawBufferPointer, using key: SymmetricKey, nonce: [UInt8]?,
        authenticating aad: [UInt8]
    ) throws(CryptoError) -> AESGCMSealedBox {
        let nonce = nonce ?? SecureRandom.bytes(count: AESGCMSealedBox.nonceSize)
        let context = try CipherContext()
        try context.start(encrypting: true, key: key, nonce: nonce)
        _ = try withBytes(of: aad) { (aad) throws(CryptoError) in try context.update(aad, into: nil) }
        let ciphertext = try [UInt8](unsafeUninitializedCapacity: plaintext.count) { (out, initialized) throws(CryptoError) in
            initialized = try context.update(plaintext, into: out.baseAddress)
        }
        guard context.finish() else { throw .openSSL("EVP_EncryptFinal_ex") }
        let tag = try [UInt8](unsafeUninitializedCapacity: AESGCMSealedBox.tagSize) { (out, initialized) throws(CryptoError) in
            guard EVP_CIPHER_CTX_ctrl(context.raw, EVP_CTRL_GCM_GET_TAG, Int32(out.count), out.baseAddress) == 1
            else { throw .openSSL("EVP_CTRL_GCM_GET_TAG") }
            initialized = out.count
        }
        return AESGCMSealedBox(unchecked: nonce, ciphertext: ciphertext, tag: tag)
    }
}

/// One AES-256-GCM operation's `EVP_CIPHER_CTX`, freed (and wiped by OpenSSL) when it goes out
/// of scope. Non-copyable, so it has exactly one owner and is never shared between threads.
private struct CipherContext: ~Copyable {
    let raw: OpaquePointer

    init() throws(CryptoError) {
        guard let raw = EVP_CIPHER_CTX_new() else { throw .openSSL("EVP_CIPHER_CTX_new") }
        self.raw = raw
    }

    deinit { EVP_CIPHER_CTX_free(raw) }

    /// Sets cipher, key and a 12-byte nonce.
    func start(encrypting: Bool, key: SymmetricKey, nonce: [UInt8]) throws(CryptoError) {
        guard nonce.count == AESGCMSealedBox.nonceSize else { throw .invalidNonceSize }
        let cipher = try Algorithms.aes256GCM.get()
        let ok = key.secret.withUnsafeBytes { key in
            nonce.withUnsafeBytes { nonce in
                EVP_CipherInit_ex2(raw, cipher, key.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                   nonce.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                   encrypting ? 1 : 0, nil) == 1
            }
        }
        guard ok else { throw .openSSL("EVP_CipherInit_ex2") }
    }

    /// Feeds `input` (as AAD when `output` is nil); returns the bytes written to `output`.
    func update(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer?) throws(CryptoError) -> Int {
        guard let base = input.baseAddress, !input.isEmpty else { return 0 }
        var offset = 0, written = 0
        while offset < input.count {
            let chunk = min(input.count - offset, maximumChunk)
            var produced: Int32 = 0
            let out = output.map { $0.advanced(by: written).assumingMemoryBound(to: UInt8.self) }
            guard EVP_CipherUpdate(raw, out, &produced,
                                   base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), Int32(chunk)) == 1
            else { throw .openSSL("EVP_CipherUpdate") }
            offset += chunk
            if output != nil { written += Int(produced) }
        }
        return written
    }

    /// Finishes the operation; for decryption, `false` means the tag did not verify.
    /// GCM produces no output here, so a scratch block stands in for the output pointer.
    func finish() -> Bool {
        var produced: Int32 = 0
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { scratch in
            EVP_CipherFinal_ex(raw, scratch.baseAddress, &produced) == 1
        }
    }
}
