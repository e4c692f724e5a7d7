import HTTPServer
import TLS

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One connection to a server, plain or TLS, over a non-blocking socket whose every wait is a
/// `poll` bounded by the phase's timeout and the exchange's deadline.
///
/// Blocking by design: it runs on one of the client's own threads, never on Swift's cooperative
/// pool. Used by one thread and closed by its owner (`close()`).
final class ClientConnection {
    private let fd: Int32
    private var tls: TLSStream?
    private let deadline: ContinuousClock.Instant
    private let readTimeout: Duration

    /// Connects to `endpoint` and, for `https`, completes a TLS handshake that verifies the
    /// server's chain and name, all within `connectTimeout` and before `deadline`.
    init(
        to endpoint: Endpoint, tls context: TLSContext?, connectTimeout: Duration, readTimeout: Duration,
        deadline: ContinuousClock.Instant
    ) throws(HTTPClientError) {
        self.deadline = deadline
        self.readTimeout = readTimeout
        let connectDeadline = min(deadline, .now + connectTimeout)
        fd = try Self.connect(endpoint, loopbackOnly: !endpoint.isTLS, before: connectDeadline, overall: deadline)
        guard let context else { return }
        let stream: TLSStream
        do throws(TLSError) {
            stream = try TLSStream(context: context, fd: fd, serverName: endpoint.host)
        } catch {
            Glibc.close(fd)
            throw .tls(error.message)
        }
        tls = stream
        do throws(HTTPClientError) {
            while true {
                switch stream.handshake() {
                case .done:
                    return
                case .wouldBlock(let wantsWrite):
                    try wait(forWriting: wantsWrite, until: connectDeadline, phase: .connect)
                case .closed, .failed:
                    throw .tls(stream.handshakeFailure ?? "the server closed the connection during the handshake")
                }
            }
        } catch {
            tls = nil
            Glibc.close(fd)
            throw error
        }
    }

    /// Sends close_notify (TLS) and closes the socket.
    func close() {
        tls?.sendCloseNotify()
        tls = nil
        Glibc.close(fd)
    }

    func write(_ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                SocketIO.write(fd, through: tls, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
            }
            switch result {
            case .done(let count):
                offset += count
            case .wouldBlock(let wantsWrite):
                try wait(forWriting: wantsWrite, until: min(deadline, .now + readTimeout), phase: .read)
            case .closed, .failed:
                throw .connectionClosed
            }
        }
    }

    /// Reads what has arrived into `buffer`: the count, or 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPClientError) -> Int {
        let waitUntil = min(deadline, .now + readTimeout)
        while true {
            switch SocketIO.read(fd, through: tls, into: buffer) {
            case .done(let count):
                return count
            case .closed:
                return 0
            case .wouldBlock(let wantsWrite):
                try wait(forWriting: wantsWrite, until: waitUntil, phase: .read)
            case .failed:
                throw .connectionClosed
            }
        }
    }

    /// Waits until the socket is readable or writable, or throws a timeout: `phase`'s when
    /// `until` passes first, `.total` when the exchange's deadline does.
    private func wait(
        forWriting: Bool, until: ContinuousClock.Instant, phase: HTTPClientError.Phase
    ) throws(HTTPClientError) {
        try Self.poll(fd, forWriting: forWriting, until: until, phase: until < deadline ? phase : .total)
    }

    private static func poll(
        _ fd: Int32, forWriting: Bool, until: ContinuousClock.Instant, phase: HTTPClientError.Phase
    ) throws(HTTPClientError) {
        var descriptor = pollfd(fd: fd, events: Int16(forWriting ? POLLOUT : POLLIN), revents: 0)
        while true {
            let remaining = until - .now
            guard remaining > .zero else { throw .timedOut(phase) }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            let ready = Glibc.poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .connectionClosed }
        }
    }

    /// Tries each address of the host in turn; the first to accept wins.
    private static func connect(
        _ endpoint: Endpoint, loopbackOnly: Bool, before connectDeadline: ContinuousClock.Instant,
        overall deadline: ContinuousClock.Instant
    ) throws(HTTPClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let list else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw .resolve("cannot resolve '\(endpoint.host)': \(reason)")
        }
        defer { freeaddrinfo(list) }
        var failure = HTTPClientError.connect("no usable address for '\(endpoint.host)'")
        var next: UnsafeMutablePointer<addrinfo>? = list
        while let address = next {
            next = address.pointee.ai_next
            if loopbackOnly && !isLoopback(address.pointee) {
                failure = .plaintextOffLoopback(endpoint.host)
                continue
            }
            do throws(HTTPClientError) {
                return try connect(to: address.pointee, endpoint: endpoint, before: connectDeadline, overall: deadline)
            } catch {
                failure = error
                if case .timedOut = error { throw error }
            }
        }
        throw failure
    }

    private static func connect(
        to address: addrinfo, endpoint: Endpoint, before connectDeadline: ContinuousClock.Instant,
        overall deadline: ContinuousClock.Instant
    ) throws(HTTPClientError) -> Int32 {
        let fd = socket(
            address.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .connect("socket: \(errorText(errno))") }
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        do throws(HTTPClientError) {
            if Glibc.connect(fd, address.ai_addr, address.ai_addrlen) != 0 {
                guard errno == EINPROGRESS || errno == EINTR else {
                    throw .connect("\(endpoint.host):\(endpoint.port): \(errorText(errno))")
                }
                try poll(fd, forWriting: true, until: connectDeadline, phase: connectDeadline < deadline ? .connect : .total)
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0, code == 0 else {
                    throw .connect("\(endpoint.host):\(endpoint.port): \(errorText(code))")
                }
            }
            return fd
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    private static func isLoopback(_ address: addrinfo) -> Bool {
        guard let socketAddress = address.ai_addr else { return false }
        switch address.ai_family {
        case AF_INET:
            return socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr) >> 24 == 127
            }
        case AF_INET6:
            return socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                withUnsafeBytes(of: pointer.pointee.sin6_addr) { bytes in
                    bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
                }
            }
        default:
            return false
        }
    }

    private static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return "\(String(cString: text)) (errno \(code))"
    }
}
