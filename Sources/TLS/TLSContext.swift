import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Where a server's certificate and key are: PEM files, read once when its context is made.
public struct TLSServerIdentity: Sendable, Hashable {
    /// The leaf certificate first, then any intermediates (a "fullchain" PEM).
    public var certificateChainPath: String
    /// The private key matching the leaf certificate, unencrypted PEM (PKCS#8 or traditional).
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// The certificate authorities a client trusts to vouch for the servers it calls.
public enum TLSTrustAnchors: Sendable, Hashable {
    /// The operating system's store (`SSL_CTX_set_default_verify_paths`: OpenSSL's configured
    /// directory and bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set).
    case system
    /// Only the certificates in this PEM file (a private gateway's CA, a test CA).
    case file(String)
}

/// An OpenSSL `SSL_CTX` for one role: protocol settings, and the server's certificate and key
/// or the client's trust anchors.
///
/// Both roles:
/// - TLS 1.2 minimum (`SSL_CTX_set_min_proto_version`); 1.3 with OpenSSL's default suites.
/// - TLS 1.2 suites restricted to forward-secret AEAD: `ECDHE+AESGCM:ECDHE+CHACHA20`.
/// - No renegotiation, no compression.
/// - Partial writes and moving write buffers allowed (non-blocking I/O).
///
/// Server: the server's suite order wins, and read/write buffers are released while a connection
/// is idle, so a parked TLS connection costs little memory. Client: the peer's chain must verify
/// against the trust anchors (`SSL_VERIFY_PEER`); the name check is per connection (`TLSStream`).
///
/// `@unchecked Sendable`: the context is configured completely in `init` and never changed
/// afterwards; OpenSSL documents that an `SSL_CTX` used read-only may be shared by threads that
/// call `SSL_new` on it concurrently (its session cache and reference counts take their own
/// locks). It is freed in `deinit`, after the last `SSL` made from it holds its own reference.
public final class TLSContext: @unchecked Sendable {
    let raw: OpaquePointer
    /// Whether streams made from this context connect (client) or accept (server).
    public let isClient: Bool

    public static let tls12CipherList = "ECDHE+AESGCM:ECDHE+CHACHA20"

    /// A server context presenting `identity`.
    public init(server identity: TLSServerIdentity) throws(TLSError) {
        raw = try Self.makeContext(method: TLS_server_method())
        isClient = false
        _ = SSL_CTX_set_options(raw, coffer_tls_SSL_OP_CIPHER_SERVER_PREFERENCE())
        _ = coffer_tls_SSL_CTX_set_mode(raw, Int(SSL_MODE_RELEASE_BUFFERS))

        let chain = identity.certificateChainPath
        let key = identity.privateKeyPath
        try Self.checkReadable(chain, what: "certificate chain")
        try Self.checkReadable(key, what: "private key")
        guard SSL_CTX_use_certificate_chain_file(raw, chain) == 1 else {
            throw TLSError("cannot load the certificate chain from '\(chain)': \(Self.drainErrors())")
        }
        guard SSL_CTX_use_PrivateKey_file(raw, key, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL compares the key with the leaf certificate while loading it.
            if ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH {
                throw TLSError(
                    "the private key '\(key)' does not match the certificate in '\(chain)': \(Self.drainErrors())")
            }
            throw TLSError("cannot load the private key from '\(key)': \(Self.drainErrors())")
        }
        guard SSL_CTX_check_private_key(raw) == 1 else {
            throw TLSError("the private key '\(key)' does not match the certificate in '\(chain)': \(Self.drainErrors())")
        }
    }

    /// A client context that accepts only servers whose chain verifies against `trust`.
    public init(client trust: TLSTrustAnchors) throws(TLSError) {
        raw = try Self.makeContext(method: TLS_client_method())
        isClient = true
        SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nil)
        switch trust {
        case .system:
            guard SSL_CTX_set_default_verify_paths(raw) == 1 else {
                throw TLSError("cannot load the system's certificate authorities: \(Self.drainErrors())")
            }
        case .file(let path):
            try Self.checkReadable(path, what: "certificate authority")
            guard SSL_CTX_load_verify_locations(raw, path, nil) == 1 else {
                throw TLSError("cannot load the certificate authorities from '\(path)': \(Self.drainErrors())")
            }
        }
    }

    deinit {
        SSL_CTX_free(raw)
    }

    /// The minimum protocol version actually configured (for tests and diagnostics).
    public var minimumProtocolVersion: Int32 {
        coffer_tls_SSL_CTX_get_min_proto_version(raw)
    }

    /// A context with the settings both roles share. Frees it if a setting fails, since `init`
    /// has not stored it yet.
    private static func makeContext(method: OpaquePointer?) throws(TLSError) -> OpaquePointer {
        ERR_clear_error()
        guard let context = SSL_CTX_new(method) else {
            throw TLSError("SSL_CTX_new failed: \(drainErrors())")
        }
        guard coffer_tls_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            let reason = drainErrors()
            SSL_CTX_free(context)
            throw TLSError("cannot require TLS 1.2: \(reason)")
        }
        guard SSL_CTX_set_cipher_list(context, tls12CipherList) == 1 else {
            let reason = drainErrors()
            SSL_CTX_free(context)
            throw TLSError("cannot set the TLS 1.2 cipher list: \(reason)")
        }
        _ = SSL_CTX_set_options(context, coffer_tls_SSL_OP_NO_RENEGOTIATION() | coffer_tls_SSL_OP_NO_COMPRESSION())
        _ = coffer_tls_SSL_CTX_set_mode(
            context, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        return context
    }

    private static func checkReadable(_ path: String, what: String) throws(TLSError) {
        guard access(path, R_OK) == 0 else {
            let code = errno
            let text = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
            throw TLSError("cannot read the \(what) file '\(path)': \(text) (errno \(code))")
        }
    }

    /// Empties this thread's OpenSSL error queue and returns its entries as one line.
    static func drainErrors() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        return messages.isEmpty ? "no OpenSSL error reported" : messages.joined(separator: "; ")
    }
}

/// Why a TLS context or session could not be set up, or a handshake failed: OpenSSL's reasons
/// as text (file paths, verification results), never application data.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
