import COpenSSL

/// An `EVP_PKEY_CTX` for one RSA operation, freed when it goes out of scope. Non-copyable, so it
/// has one owner and is never shared between threads.
struct PKeyContext: ~Copyable {
    let raw: OpaquePointer

    init?(_ pkey: OpaquePointer) {
        guard let raw = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else { return nil }
        self.raw = raw
    }

    deinit { EVP_PKEY_CTX_free(raw) }

    /// Applies `padding`; call after `EVP_PKEY_encrypt_init` / `EVP_PKEY_decrypt_init`.
    func configure(_ padding: RSAPadding) -> Bool {
        switch padding {
        case .oaepSHA256MGF1SHA256:
            EVP_PKEY_CTX_set_rsa_padding(raw, RSA_PKCS1_OAEP_PADDING) > 0
                && EVP_PKEY_CTX_set_rsa_oaep_md(raw, EVP_sha256()) > 0
                && EVP_PKEY_CTX_set_rsa_mgf1_md(raw, EVP_sha256()) > 0
        case .oaepSHA256MGF1SHA1:
            EVP_PKEY_CTX_set_rsa_padding(raw, RSA_PKCS1_OAEP_PADDING) > 0
                && EVP_PKEY_CTX_set_rsa_oaep_md(raw, EVP_sha256()) > 0
                && EVP_PKEY_CTX_set_rsa_mgf1_md(raw, EVP_sha1()) > 0
        case .pkcs1v15:
            EVP_PKEY_CTX_set_rsa_padding(raw, RSA_PKCS1_PADDING) > 0
        }
    }
}

/// An `EVP_PKEY` owned by Swift, freed with the last reference.
///
/// `@unchecked Sendable` is safe: the key is never modified after creation, and OpenSSL 3 allows
/// any number of threads to use one read-only `EVP_PKEY` at once, each through its own
/// `EVP_PKEY_CTX` (RSA blinding state is locked or per thread inside OpenSSL).
final class PKeyHandle: @unchecked Sendable {
    let raw: OpaquePointer

    init(owning raw: OpaquePointer) { self.raw = raw }

    deinit { EVP_PKEY_free(raw) }
}
