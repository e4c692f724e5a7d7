import Foundation
import HTTPServer
import Synchronization
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension TestPKI {
    /// `good`, `wrong-name` or `untrusted`, as the server's TLS configuration.
    func server(_ name: String) -> TLSConfiguration {
        TLSConfiguration(certificateChainPath: certificatePath(name), privateKeyPath: keyPath(name))
    }
}

/// Starts an `HTTPServer` on 127.0.0.1 (TLS when `tls` is given), runs `body` with its port, then
/// shuts it down.
func withServer<R>(
    tls: TLSConfiguration? = nil, handler: @escaping HTTPHandler, _ body: (Int) async throws -> R
) async throws -> R {
    var configuration = HTTPServerConfiguration()
    configuration.tls = tls
    configuration.handlerThreads = 1
    let server = try HTTPServer(configuration: configuration, handler: handler)
    let port = try server.start()
    do {
        let result = try await body(port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// A server that answers one connection with whatever its script writes, byte for byte, on a
/// thread of its own: for responses no correct server would send, and for servers that stall.
final class RawServer: Sendable {
    let port: Int
    private let listener: Int32
    /// The request bytes received before the script ran (the head and a Content-Length body).
    private let received = ReceivedBytes()

    /// `script` gets the accepted connection once the request has been read, and writes to it
    /// with `send(_:_:)`; the connection is closed when it returns.
    init(_ script: @escaping @Sendable (_ connection: Int32) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && Glibc.listen(fd, 4) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw TestFailure("cannot listen: errno \(errno)") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let received = received
        Thread {
            let connection = accept(fd, nil, nil)
            guard connection >= 0 else { return }
            let request = Self.readRequest(connection)
            received.bytes.withLock { $0 = request }
            script(connection)
            close(connection)
        }.start()
    }

    deinit {
        // Wakes a thread still in accept (the client never came) and releases the port.
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// What the client sent, as text.
    var request: String { received.bytes.withLock { String(decoding: $0, as: UTF8.self) } }

    static func send(_ connection: Int32, _ text: String) {
        send(connection, Array(text.utf8))
    }

    static func send(_ connection: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads the head and, when it declares one, a Content-Length body.
    private static func readRequest(_ connection: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            if let end = data.range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                if data.count - end.upperBound >= length { return data }
            }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return data }
            data.append(contentsOf: buffer[..<count])
        }
    }
}

/// Sleeps on the raw server's thread (never in a task).
func pause(_ duration: Duration) {
    Thread.sleep(forTimeInterval: Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}

/// A port that refuses connections for as long as this lives: bound, so no other test's server
/// can take it, but not listening.
final class RefusingPort: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound else { throw TestFailure("cannot bind: errno \(errno)") }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(fd)
    }
}

private final class ReceivedBytes: Sendable {
    let bytes = Mutex(Data())
}
