import Executors
import HTTPServer
import TLS

/// An HTTP/1.1 client for the few calls a vault makes out (a card gateway, a webhook receiver):
/// one request per connection, TLS with the peer's chain and name verified, bounded waits and
/// sizes.
///
/// Each exchange's blocking socket and TLS calls run on threads of the client's own (a
/// `BoundedWorkPool`), never on Swift's cooperative pool, which has only one thread per core:
/// a slow gateway would otherwise stall every request handler of the process. The caller awaits
/// the result and resumes on its own executor. A caller cancelled while its exchange runs still
/// waits for it to end, which `totalTimeout` bounds.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let pool: BoundedWorkPool
    private let tls: TLSContext

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) throws(HTTPClientError) {
        for (name, value) in [
            ("connectTimeout", configuration.connectTimeout), ("readTimeout", configuration.readTimeout),
            ("totalTimeout", configuration.totalTimeout),
        ] where value <= .zero {
            throw .setup("\(name) must be positive")
        }
        self.configuration = configuration
        do throws(TLSError) {
            tls = try TLSContext(client: configuration.trust)
        } catch {
            throw .setup(error.message)
        }
        do throws(ThreadStartError) {
            pool = try BoundedWorkPool(
                name: "coffer-client", threads: max(1, configuration.threads),
                queueLimit: configuration.queueLimit, priority: .normal)
        } catch {
            throw .setup("cannot start the client's threads (errno \(error.code))")
        }
        // OpenSSL writes with write(2): a server that went away must not kill the process.
        Socket.ignoreSIGPIPE()
    }

    /// Sends `request` on a new connection and returns the complete response — any status; a 4xx
    /// or 5xx is the caller's to interpret.
    public func send(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let endpoint = try Self.endpoint(request.url)
        let bytes = try RequestWriter.serialize(request, to: endpoint)
        let exchange = Exchange(
            endpoint: endpoint, request: bytes, isHEAD: request.method == "HEAD",
            tls: endpoint.isTLS ? tls : nil, configuration: configuration)
        let result: Result<HTTPClientResponse, HTTPClientError>
        do {
            result = try await pool.run { exchange.run() }
        } catch WorkPoolError.busy {
            throw .busy
        } catch {
            throw .cancelled
        }
        return try result.get()
    }

    /// Checks `url` as `send` does before connecting — its form, and plain `http://` only to
    /// loopback — so that a configured URL is refused at start-up, not at its first use.
    public static func check(url: String) throws(HTTPClientError) {
        _ = try endpoint(url)
    }

    private static func endpoint(_ url: String) throws(HTTPClientError) -> Endpoint {
        let endpoint = try Endpoint(url: url)
        guard endpoint.isTLS || endpoint.isLoopbackHost else { throw .plaintextOffLoopback(endpoint.host) }
        return endpoint
    }
}

/// One request and its response on one connection, run on a client thread.
private struct Exchange: Sendable {
    let endpoint: Endpoint
    let request: [UInt8]
    let isHEAD: Bool
    let tls: TLSContext?
    let configuration: HTTPClientConfiguration

    func run() -> Result<HTTPClientResponse, HTTPClientError> {
        Result { () throws(HTTPClientError) -> HTTPClientResponse in
            let deadline = ContinuousClock.now + configuration.totalTimeout
            let connection = try ClientConnection(
                to: endpoint, tls: tls, connectTimeout: configuration.connectTimeout,
                readTimeout: configuration.readTimeout, deadline: deadline)
            defer { connection.close() }
            try connection.write(request)
            var parser = ResponseParser(limits: configuration.limits, isHEAD: isHEAD)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)
            defer { buffer.deallocate() }
            while true {
                let count = try connection.read(into: buffer)
                if count == 0 { return try parser.finish() }
                if let response = try parser.receive(UnsafeRawBufferPointer(rebasing: buffer[..<count])) {
                    return response
                }
            }
        }
    }
}
