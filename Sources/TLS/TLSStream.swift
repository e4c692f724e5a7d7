import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The outcome of one non-blocking read or write, plain or TLS.
public enum IOResult: Sendable, Equatable {
    /// This many bytes were read (never 0) or written (a finished handshake reports 0).
    case done(Int)
    /// Try again when the socket is readable (`wantsWrite == false`) or writable. TLS can need
    /// either direction for either operation (handshake, key updates, session tickets).
    case wouldBlock(wantsWrite: Bool)
    /// The peer closed its sending side (orderly EOF or TLS close_notify).
    case closed
    /// The connection is broken (reset, TLS alert, protocol error): drop it.
    case failed
}

/// One TLS session over a non-blocking socket.
///
/// A server session is created in accept state: the handshake is driven by the first `read`
/// calls, so the connection's read path needs no separate handshake phase. A client session is
/// told the name it expects, and its caller drives `handshake()` until done before sending, so a
/// failed verification is reported as such (`handshakeFailure`) rather than as a broken write.
///
/// Owned by one connection and used on one thread at a time (OpenSSL's error queue is per
/// thread, and is cleared right after every failed call here).
public final class TLSStream {
    private let ssl: OpaquePointer

    /// A server session on an accepted socket; nil if OpenSSL cannot make one.
    public init?(context: TLSContext, fd: Int32) {
        guard !context.isClient, let ssl = Self.session(context, fd) else { return nil }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
    }

    /// A client session on a connected socket that accepts only a certificate for `serverName`:
    /// a DNS name is sent as SNI and matched against the certificate's DNS names
    /// (`SSL_set1_host`), an IP literal against its IP addresses.
    public init(context: TLSContext, fd: Int32, serverName: String) throws(TLSError) {
        guard context.isClient, let ssl = Self.session(context, fd) else {
            throw TLSError("cannot create a TLS client session")
        }
        self.ssl = ssl
        if Self.isIPLiteral(serverName) {
            // RFC 6066 §3: SNI carries host names only, never addresses.
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                ERR_clear_error()
                throw TLSError("cannot expect the address '\(serverName)'")
            }
        } else {
            guard coffer_tls_SSL_set_tlsext_host_name(ssl, serverName) == 1,
                SSL_set1_host(ssl, serverName) == 1
            else {
                ERR_clear_error()
                throw TLSError("cannot expect the host name '\(serverName)'")
            }
        }
        SSL_set_connect_state(ssl)
    }

    deinit {
        SSL_free(ssl)
    }

    /// Advances the handshake: `.done(0)` once it is complete.
    public func handshake() -> IOResult {
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(0) }
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return failure(code)
        default:
            handshakeFailure = describeHandshakeFailure()
            return .failed
        }
    }

    /// Why the last `handshake()` returned `.failed`: the certificate verification result when
    /// that failed (untrusted issuer, name mismatch, expiry), else OpenSSL's errors.
    public private(set) var handshakeFailure: String?

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        var count = 0
        if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 {
            return .done(count)
        }
        return failure(SSL_get_error(ssl, 0))
    }

    public func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
        guard !bytes.isEmpty else { return .done(0) }
        var count = 0
        if SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &count) == 1 {
            return .done(count)
        }
        return failure(SSL_get_error(ssl, 0))
    }

    /// A session whose handshake never completed although the peer sent something: a client
    /// speaking plain HTTP, an old TLS version or no acceptable cipher (not one that connected
    /// and left without a byte, such as a TCP health check).
    public var handshakeFailed: Bool {
        guard SSL_is_init_finished(ssl) != 1, let input = SSL_get_rbio(ssl) else { return false }
        return BIO_number_read(input) > 0
    }

    /// Sends close_notify if the session got that far; never waits for the peer's.
    public func sendCloseNotify() {
        guard SSL_is_init_finished(ssl) == 1 else { return }
        if SSL_shutdown(ssl) < 0 {
            ERR_clear_error()
        }
    }

    private static func session(_ context: TLSContext, _ fd: Int32) -> OpaquePointer? {
        guard let ssl = SSL_new(context.raw) else {
            ERR_clear_error()
            return nil
        }
        guard SSL_set_fd(ssl, fd) == 1 else {
            ERR_clear_error()
            SSL_free(ssl)
            return nil
        }
        return ssl
    }

    private static func isIPLiteral(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }

    private func describeHandshakeFailure() -> String {
        let verification = SSL_get_verify_result(ssl)
        let errors = TLSContext.drainErrors()
        guard verification != X509_V_OK else { return errors }
        let reason = X509_verify_cert_error_string(verification).map { String(cString: $0) } ?? "error \(verification)"
        return "certificate verification failed: \(reason)"
    }

    private func failure(_ code: Int32) -> IOResult {
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wouldBlock(wantsWrite: false)
        case SSL_ERROR_WANT_WRITE:
            return .wouldBlock(wantsWrite: true)
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error()
            return .closed
        default:
            // SSL_ERROR_SYSCALL (reset, EOF without close_notify) or SSL_ERROR_SSL (handshake
            // failure such as a TLS 1.1 client, bad record MAC, …): the session is unusable.
            ERR_clear_error()
            return .failed
        }
    }
}
