import COpenSSL

/// An algorithm implementation fetched once from OpenSSL's default library context.
///
/// `@unchecked Sendable` is safe: fetched `EVP_CIPHER`, `EVP_MD`, `EVP_MAC` and `EVP_KDF` objects are
/// immutable, reference-counted method tables that OpenSSL 3 allows any number of threads to use
/// at once; we hold one reference for the life of the process and never free or change it.
struct FetchedAlgorithm: @unchecked Sendable {
    private let pointer: OpaquePointer?
    private let name: StaticString

    init(_ name: StaticString, fetch: (UnsafePointer<CChar>) -> OpaquePointer?) {
        self.name = name
        pointer = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { fetch($0.baseAddress!) }
        }
        if pointer == nil { ERR_clear_error() }
    }

    /// The fetched implementation, or `.library` if this OpenSSL build lacks it.
    func get() throws(CryptoError) -> OpaquePointer {
        guard let pointer else { throw .library("\(name) is not available from OpenSSL") }
        return pointer
    }
}

/// The algorithms VaultCrypto uses, each fetched on first use (explicit fetches are much cheaper
/// per call than the implicit fetch behind `EVP_aes_256_gcm()` and friends).
enum Algorithms {
    static let aes256GCM = FetchedAlgorithm("AES-256-GCM") { EVP_CIPHER_fetch(nil, $0, nil) }
    static let sha256 = FetchedAlgorithm("SHA256") { EVP_MD_fetch(nil, $0, nil) }
    static let hmac = FetchedAlgorithm("HMAC") { EVP_MAC_fetch(nil, $0, nil) }
    static let scrypt = FetchedAlgorithm("SCRYPT") { EVP_KDF_fetch(nil, $0, nil) }
}
