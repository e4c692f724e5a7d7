import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The server's OpenSSL `SSL_CTX`: certificate chain, key and protocol settings.
///
/// - TLS 1.2 minimum (`SSL_CTX_set_min_proto_version`); 1.3 with OpenSSL's default suites.
/// - TLS 1.2 suites restricted to forward-secret AEAD: `ECDHE+AESGCM:ECDHE+CHACHA20`, server order.
/// - No renegotiation, no compression.
/// - Partial writes and moving write buffers allowed (non-blocking I/O), and read/write buffers
///   released while a connection is idle, so a parked TLS connection costs little memory.
///
/// `@unchecked Sendable`: the context is configured completely in `init` and never changed
/// afterwards; OpenSSL documents that an `SSL_CTX` used read-only may be shared by threads that
/// call `SSL_new` on it concurrently (its session cache and reference counts take their own
/// locks). It is freed in `deinit`, after the last `SSL` made from it holds its own reference.
final class TLSContext: @unchecked Sendable {
    let raw: OpaquePointer

    static let tls12CipherList = "ECDHE+AESGCM:ECDHE+CHACHA20"

    init(configuration: TLSConfiguration) throws(HTTPServerError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw .tls("SSL_CTX_new failed: \(Self.drainErrors())")
        }
        raw = context

        guard coffer_http_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw .tls("cannot require TLS 1.2: \(Self.drainErrors())")
        }
        guard SSL_CTX_set_cipher_list(context, Self.tls12CipherList) == 1 else {
            throw .tls("cannot set the TLS 1.2 cipher list: \(Self.drainErrors())")
        }
        _ = SSL_CTX_set_options(
            context,
            coffer_http_SSL_OP_NO_RENEGOTIATION() | coffer_http_SSL_OP_NO_COMPRESSION()
                | coffer_http_SSL_OP_CIPHER_SERVER_PREFERENCE())
        _ = coffer_http_SSL_CTX_set_mode(
            context,
            Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS))

        let chain = configuration.certificateChainPath
        let key = configuration.privateKeyPath
        try Self.checkReadable(chain, what: "certificate chain")
        try Self.checkReadable(key, what: "private key")
        guard SSL_CTX_use_certificate_chain_file(context, chain) == 1 else {
            throw .tls("cannot load the certificate chain from '\(chain)': \(Self.drainErrors())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
            // OpenSSL compares the key with the leaf certificate while loading it.
            if ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH {
                throw .tls("the private key '\(key)' does not match the certificate in '\(chain)': \(Self.drainErrors())")
            }
            throw .tls("cannot load the private key from '\(key)': \(Self.drainErrors())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw .tls("the private key '\(key)' does not match the certificate in '\(chain)': \(Self.drainErrors())")
        }
    }

    deinit {
        SSL_CTX_free(raw)
    }

    /// The minimum protocol version actually configured (for tests and diagnostics).
    var minimumProtocolVersion: Int32 {
        coffer_http_SSL_CTX_get_min_proto_version(raw)
    }

    private static func checkReadable(_ path: String, what: String) throws(HTTPServerError) {
        guard access(path, R_OK) == 0 else {
            throw .tls("cannot read the \(what) file '\(path)': \(systemErrorText(errno))")
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
