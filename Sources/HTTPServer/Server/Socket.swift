import COpenSSL

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The text for an `errno` value (`strerror`), e.g. "Address already in use (errno 98)".
func systemErrorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return "\(String(cString: text)) (errno \(code))"
}

/// An IPv4 or IPv6 socket address parsed from a literal; never a DNS lookup.
enum SocketAddress: Sendable {
    case v4(sockaddr_in)
    case v6(sockaddr_in6)

    /// Parses `host` (an IPv4 literal, an IPv6 literal with or without brackets, or
    /// `localhost`, which means `127.0.0.1`) and `port`.
    init(host: String, port: Int) throws(HTTPServerError) {
        guard (0...65535).contains(port) else { throw .invalidPort(port) }
        var literal = host
        if literal == "localhost" { literal = "127.0.0.1" }
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = String(literal.dropFirst().dropLast()) }

        var v4 = sockaddr_in()
        if inet_pton(AF_INET, literal, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            self = .v4(v4)
            return
        }
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET6, literal, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
            self = .v6(v6)
            return
        }
        throw .invalidHost(host)
    }

    var family: Int32 {
        switch self {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    /// 127.0.0.0/8, `::1`, or an IPv4-mapped loopback (`::ffff:127.x.y.z`).
    var isLoopback: Bool {
        switch self {
        case .v4(let address):
            return UInt32(bigEndian: address.sin_addr.s_addr) >> 24 == 127
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
            return Array(bytes[0..<12]) == mappedPrefix && bytes[12] == 127
        }
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch self {
        case .v4(var address):
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(var address):
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The IP address of a peer as text (no port), for `HTTPRequestContext.remoteAddress`.
    static func ipText(of storage: inout sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(storage.ss_family)
        let ok: Bool = withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET {
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var ip = address.pointee.sin_addr
                    return inet_ntop(AF_INET, &ip, &text, socklen_t(text.count)) != nil
                }
            } else if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var ip = address.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &ip, &text, socklen_t(text.count)) != nil
                }
            }
            return false
        }
        guard ok else { return "unknown" }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// Small wrappers over the POSIX socket calls the server makes.
package enum Socket {
    /// Ignores SIGPIPE for the process, once. Plain sends pass MSG_NOSIGNAL, but OpenSSL writes
    /// with `write(2)`, which would otherwise kill the process when a TLS peer goes away.
    package static func ignoreSIGPIPE() {
        _ = ignoreSIGPIPEOnce
    }

    private static let ignoreSIGPIPEOnce: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Raises the soft RLIMIT_NOFILE (never above the hard limit, never lowering it) so that
    /// `wanted` descriptors can be open: the common soft default of 1024 would otherwise make
    /// `accept` fail with EMFILE below `maxConnections`.
    static func raiseDescriptorLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let target = rlim_t(max(wanted, 0))
        guard limit.rlim_cur < target else { return }
        limit.rlim_cur = min(target, limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// A non-blocking, close-on-exec listening socket bound to `address`, with SO_REUSEADDR.
    /// Returns the descriptor and the bound port.
    static func listen(
        on address: SocketAddress, describedAs name: String, backlog: Int32
    ) throws(HTTPServerError) -> (fd: Int32, port: Int) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket", errno) }
        var on: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let code = errno
            close(fd)
            throw .system("setsockopt(SO_REUSEADDR)", code)
        }
        let bound = address.withSockAddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .bind(name, code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw .bind(name, code)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw .system("getsockname", code)
        }
        let family = Int32(storage.ss_family)
        let port: UInt16 = withUnsafePointer(to: &storage) { pointer in
            if family == AF_INET6 {
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            } else {
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            }
        }
        return (fd, Int(port))
    }

    enum AcceptResult {
        case accepted(fd: Int32, remoteAddress: String)
        /// Nothing (more) to accept right now.
        case wouldBlock
        /// A connection that died in the backlog, or an interrupted call: try again.
        case retry
        /// Out of descriptors or memory: stop accepting for a while.
        case exhausted(Int32)
        /// The listening socket is shut down or broken.
        case failed(Int32)
    }

    /// Accepts one connection as a non-blocking, close-on-exec socket with TCP_NODELAY
    /// (responses go out in one write; Nagle would only delay pipelined answers).
    static func accept(_ listenFD: Int32) -> AcceptResult {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                coffer_http_accept4(listenFD, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        if fd < 0 {
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EINTR, ECONNABORTED, EPROTO, EPERM: return .retry
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(code)
            default: return .failed(code)
            }
        }
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return .accepted(fd: fd, remoteAddress: SocketAddress.ipText(of: &storage))
    }
}
