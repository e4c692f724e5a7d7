import Executors
import TLS

/// Where the server's certificate and key are: PEM files, read once by `HTTPServer.init`.
public typealias TLSConfiguration = TLSServerIdentity

/// Everything `HTTPServer` needs to know before it binds.
public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 literal (`127.0.0.1`, `0.0.0.0`), an IPv6 literal (`::1`, `[::1]`, `::`) or
    /// `localhost` (= `127.0.0.1`). Host names are not resolved: a vault binds to an address.
    public var host = "127.0.0.1"
    /// 0 asks the kernel for an ephemeral port; `start()` returns the one bound.
    public var port = 0
    /// TLS 1.2+ when set; plain HTTP when nil.
    public var tls: TLSConfiguration?
    /// Without TLS the server binds only to loopback addresses, unless this is true
    /// (`coffer serve --allow-plaintext`, e.g. behind a TLS-terminating proxy on a private network).
    public var allowsPlaintextOffLoopback = false
    /// Bounds on request lines, headers and bodies (414 / 431 / 413 beyond them).
    public var limits = HTTPParserLimits()
    /// From the first byte of a request until its head is complete (408, then close).
    /// A new connection (and its TLS handshake) must also send its first request head within it.
    public var headerTimeout: Duration = .seconds(10)
    /// From the end of the head until the body is complete (408, then close).
    public var bodyTimeout: Duration = .seconds(30)
    /// How long a keep-alive connection may sit between requests (then closed silently).
    public var idleTimeout: Duration = .seconds(60)
    /// How long a response may take to drain to a slow reader (then the connection is dropped).
    public var writeTimeout: Duration = .seconds(30)
    /// The most connections open at once, over all event loops. When full, a new connection is
    /// admitted by closing the least recently used idle keep-alive one (between requests, with
    /// nothing received or to send); when none is idle, the server stops accepting (new
    /// connections wait in the kernel's listen backlog) until one closes or becomes idle.
    public var maxConnections = 1024
    /// Threads running an epoll loop each; connections are spread over them by the kernel
    /// (`EPOLLEXCLUSIVE` on the shared listening socket). Handlers run on the handler threads,
    /// not on these. One loop saturates well before a 2-core machine's handler work does, so 1
    /// is the default; more helps only with many cores or heavy TLS.
    public var eventLoopThreads = 1
    /// Threads that run the handlers (named `coffer-task-N`), owned by the server: handler tasks
    /// start there and resume there after every `await`, never on Swift's global cooperative
    /// pool. One per core, as that pool has: with more, threads beyond the cores are woken for
    /// a request only to be parked again after it (2 cores, `/healthz`: cores + 2 threads cost
    /// 1.6 context switches and ≈ 35 % more CPU per request than one per core; docs/performance.md).
    public var handlerThreads = ThreadPoolExecutor.processorCount
    /// How long `shutdown()` lets in-flight requests finish before closing what is left.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// The response to a request refused before any handler sees it (malformed framing, 413,
    /// 431, …), given the path when the request line had been read — so an API can answer in the
    /// error shape of the route family the client called. It must not echo request bytes.
    public var parseErrorResponse: @Sendable (HTTPParseError, _ path: String?) -> HTTPResponse = { error, _ in
        error.response
    }
    /// Told of every request or connection the server refuses or cuts off on its own (parse
    /// errors, 408s, failed TLS handshakes, clients that send nothing, give up mid-request or
    /// read too slowly), once each, before any answer goes out — so the application can log and
    /// count them. Called on an event loop's thread: it must return quickly and never block.
    public var rejectionObserver: (@Sendable (HTTPRejection) -> Void)?
    public init() {}
}

/// What the server knows about a request beyond its bytes.
public struct HTTPRequestContext: Sendable {
    /// The peer's IP address as text, without the port (`203.0.113.7`, `2001:db8::1`).
    public var remoteAddress: String
    /// Whether the request arrived over TLS.
    public var isTLS: Bool
    /// When the request was complete (head and body parsed) and handed to the handler.
    public var receivedAt: ContinuousClock.Instant

    public init(remoteAddress: String, isTLS: Bool, receivedAt: ContinuousClock.Instant) {
        self.remoteAddress = remoteAddress
        self.isTLS = isTLS
        self.receivedAt = receivedAt
    }
}

/// Answers one request. Runs in a Swift `Task` on the server's handler threads, which it shares
/// with every other request: short blocking (a point lookup) is fine, long CPU work or blocking
/// belongs on a pool of its own that the handler awaits. One request at a time per connection;
/// many connections' handlers run concurrently.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPRequestContext) async -> HTTPResponse

/// Why the server could not be set up or started.
public enum HTTPServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Plain HTTP was asked for on an address other than loopback without the opt-in.
    case plaintextOffLoopback(String)
    /// The host is not an IPv4/IPv6 literal or `localhost`.
    case invalidHost(String)
    /// A port outside 0...65535.
    case invalidPort(Int)
    /// A configuration value out of range (name and reason).
    case invalidConfiguration(String)
    /// `bind` or `listen` failed for the address, with `errno`.
    case bind(String, Int32)
    /// Another system call failed while setting up (which, and `errno`).
    case system(String, Int32)
    /// The certificate or key could not be loaded, or TLS could not be set up.
    case tls(String)
    /// `start()` was called twice, or after `shutdown()`.
    case alreadyStarted

    public var description: String {
        switch self {
        case .plaintextOffLoopback(let host):
            "refusing to serve plain HTTP on \(host), which is not a loopback address: "
                + "configure TLS, or pass --allow-plaintext (allowsPlaintextOffLoopback) "
                + "if a TLS-terminating proxy protects this network"
        case .invalidHost(let host):
            "'\(host)' is not an IPv4 or IPv6 address literal or 'localhost'"
        case .invalidPort(let port):
            "port \(port) is not in 0...65535"
        case .invalidConfiguration(let what):
            "invalid HTTP server configuration: \(what)"
        case .bind(let address, let code):
            "cannot listen on \(address): \(systemErrorText(code))"
        case .system(let call, let code):
            "\(call) failed: \(systemErrorText(code))"
        case .tls(let message):
            "TLS setup failed: \(message)"
        case .alreadyStarted:
            "the HTTP server was already started"
        }
    }
}
