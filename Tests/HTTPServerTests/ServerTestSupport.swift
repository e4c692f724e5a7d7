import Foundation
import HTTPServer
import Synchronization
import Testing
import TestSupport

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct ServerTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Counts handler calls across tasks.
final class CallCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// Holds handlers until a test opens it.
final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// The echo handler the socket tests use: `200`, body `"<METHOD> <target>\n"` + request body,
/// and the request's body size in `X-Body-Bytes`.
func echoHandler(counter: CallCounter? = nil, delay: Duration? = nil) -> HTTPHandler {
    { request, context in
        counter?.increment()
        if let delay { try? await Task.sleep(for: delay) }
        var body = Array("\(request.method) \(request.target)\n".utf8)
        body.append(contentsOf: request.body)
        return HTTPResponse(
            status: .ok,
            headers: [
                "Content-Type": "text/plain", "X-Body-Bytes": String(request.body.count),
                "X-TLS": context.isTLS ? "1" : "0", "X-Remote": context.remoteAddress,
            ],
            body: body)
    }
}

/// Starts a server on 127.0.0.1 and an ephemeral port, runs `body`, then shuts it down.
func withServer<R>(
    configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    handler: @escaping HTTPHandler = echoHandler(),
    _ body: (HTTPServer, Int) async throws -> R
) async throws -> R {
    var configuration = HTTPServerConfiguration()
    configure(&configuration)
    let server = try HTTPServer(configuration: configuration, handler: handler)
    let port = try server.start()
    do {
        let result = try await body(server, port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Raises the soft descriptor limit to `wanted` (bounded by the hard limit).
func raiseDescriptorLimit(to wanted: Int) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    if limit.rlim_cur < rlim_t(wanted) {
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

struct TestResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP client over raw POSIX sockets, with a receive timeout, for driving the
/// server byte by byte.
///
/// Every call that can block is `noasync`: the compiler keeps it out of test tasks, so it runs
/// inside `blocking { }`, on a thread the test owns, and a receive timeout is measured there.
/// `@unchecked Sendable` so that a test can hand it to `blocking { }`: a test awaits each
/// blocking block before starting the next, so no two threads ever use one client at once.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var sawEOF = false

    /// Connects to 127.0.0.1:`port`. `receiveBuffer` shrinks SO_RCVBUF (for slow-reader tests).
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    init(port: Int, timeout: Duration = .seconds(5), receiveBuffer: Int32? = nil) throws {
        // `self.fd` is set last: if init throws after all properties are set, deinit runs and
        // would close the descriptor a second time — by then perhaps another test's socket.
        // Close-on-exec, so a program another test starts meanwhile cannot hold the connection open.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServerTestError("socket: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ServerTestError("connect: errno \(code)")
        }
        self.fd = fd
        setTimeout(timeout)
    }

    deinit {
        Glibc.close(fd)
    }

    func setTimeout(_ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw ServerTestError("send: errno \(errno)") }
            offset += sent
        }
    }

    func shutdownWrite() {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads more bytes into the buffer; false on EOF. Throws on timeout or error.
    @discardableResult
    private func fill() throws -> Bool {
        if sawEOF { return false }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 || errno == ECONNRESET {
            sawEOF = true
            return false
        }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw ServerTestError("timed out waiting for data") }
        throw ServerTestError("recv: errno \(errno)")
    }

    /// Reads exactly `count` bytes.
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func read(count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw ServerTestError("EOF after \(buffer.count) of \(count) bytes") }
        }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// Reads one response framed by Content-Length (or none, for 1xx/204/304 and answers to HEAD).
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func readResponse(toHEAD: Bool = false) throws -> TestResponse {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = findHeadEnd()
            if headEnd == nil {
                guard try fill() else {
                    throw ServerTestError("EOF before a complete response head (\(buffer.count) bytes)")
                }
            }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw ServerTestError("bad status line in \(head)")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        if !toHEAD, let length = response.header("Content-Length").flatMap(Int.init) {
            response.body = try read(count: length)
        }
        return response
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    /// True when the server closes (EOF or reset) before `timeout` with no further bytes.
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func closesWithoutData(within timeout: Duration) throws -> Bool {
        setTimeout(timeout)
        if !buffer.isEmpty { return false }
        do {
            return try !fill()
        } catch {
            return false
        }
    }

    /// True when nothing arrives and the connection stays open for `duration`.
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func staysSilent(for duration: Duration) -> Bool {
        setTimeout(duration)
        if !buffer.isEmpty { return false }
        do {
            _ = try fill()
            return false
        } catch {
            return true
        }
    }

    /// Waits for the first bytes to arrive (kept for `readToEnd`); false on EOF.
    @discardableResult
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func readSome() throws -> Bool { try fill() }

    /// A client too slow for a short write timeout: asks for `path` with a small receive buffer,
    /// waits until the response is flowing (the handler may start late on a busy machine), reads
    /// nothing for a second, then reads what is left until EOF.
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    static func slowReader(port: Int, path: String) throws -> (bytes: [UInt8], eof: Bool) {
        let client = try TestClient(port: port, receiveBuffer: 8192)
        try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        client.setTimeout(.seconds(10))
        _ = try client.readSome()
        Thread.sleep(forTimeInterval: 1.0)
        return client.readToEnd(timeout: .seconds(3))
    }

    /// Every byte until EOF (or the timeout); `eof` tells which.
    @available(*, noasync, message: "blocks its thread: call it inside blocking { }")
    func readToEnd(timeout: Duration = .seconds(5)) -> (bytes: [UInt8], eof: Bool) {
        setTimeout(timeout)
        while true {
            do {
                if try !fill() { break }
            } catch {
                return (buffer, false)
            }
        }
        let bytes = buffer
        buffer = []
        return (bytes, true)
    }
}

func elapsed(since start: ContinuousClock.Instant) -> Duration {
    ContinuousClock.now - start
}
