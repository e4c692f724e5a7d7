import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The outcome of one non-blocking read or write, plain or TLS.
enum IOResult {
    /// This many bytes were read (never 0) or written.
    case done(Int)
    /// Try again when the socket is readable (`wantsWrite == false`) or writable. TLS can need
    /// either direction for either operation (handshake, key updates, session tickets).
    case wouldBlock(wantsWrite: Bool)
    /// The peer closed its sending side (orderly EOF or TLS close_notify).
    case closed
    /// The connection is broken (reset, TLS alert, protocol error): drop it.
    case failed
}

/// One server-side TLS session over a non-blocking socket.
///
/// Created in accept state: the handshake is driven by the first `read` calls, so the
/// connection's read path needs no separate handshake phase. Owned by one `Connection`, used
/// only on its event loop's thread (OpenSSL's error queue is per thread, and is cleared right
/// after every failed call here).
final class TLSStream {
    private let ssl: OpaquePointer

    init?(context: TLSContext, fd: Int32) {
        guard let ssl = SSL_new(context.raw) else {
            ERR_clear_error()
            return nil
        }
        guard SSL_set_fd(ssl, fd) == 1 else {
            ERR_clear_error()
            SSL_free(ssl)
            return nil
        }
        SSL_set_accept_state(ssl)
        self.ssl = ssl
    }

    deinit {
        SSL_free(ssl)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        var count = 0
        if SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count) == 1 {
            return .done(count)
        }
        return failure(SSL_get_error(ssl, 0))
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOResult {
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
    var handshakeFailed: Bool {
        guard SSL_is_init_finished(ssl) != 1, let input = SSL_get_rbio(ssl) else { return false }
        return BIO_number_read(input) > 0
    }

    /// Sends close_notify if the session got that far; never waits for the peer's.
    func sendCloseNotify() {
        guard SSL_is_init_finished(ssl) == 1 else { return }
        if SSL_shutdown(ssl) < 0 {
            ERR_clear_error()
        }
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
