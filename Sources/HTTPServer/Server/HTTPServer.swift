import Executors
import TLS
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An HTTP/1.1 server over non-blocking POSIX sockets and epoll, with optional TLS (OpenSSL).
///
/// ```swift
/// let server = try HTTPServer(configuration: configuration) { request, context in
///     HTTPResponse(status: .ok, body: Array("hello".utf8))
/// }
/// let port = try server.start()
/// // … on SIGTERM:
/// await server.shutdown()
/// ```
///
/// - `init` validates the configuration and loads the certificate and key, so a bad path or a
///   plain-HTTP public bind fails before anything listens.
/// - `start` binds, listens and starts `eventLoopThreads` epoll threads and `handlerThreads`
///   threads that run the handlers.
/// - Each complete request runs the handler in its own `Task` on the handler threads — never on
///   Swift's global cooperative pool, and never on a loop thread; responses are written by the
///   loop in request order, one request at a time per connection.
/// - `shutdown` stops accepting at once, lets in-flight requests finish (their responses carry
///   `Connection: close`), closes idle connections, and returns when all are closed — or when
///   `shutdownGracePeriod` has passed, after closing what is left.
///
/// Linux only (epoll, eventfd, accept4).
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    private let handler: HTTPHandler
    private let tls: TLSContext?
    private let address: SocketAddress
    private let lifecycle = Mutex<Lifecycle>(.idle)

    private enum Lifecycle {
        case idle
        case running(ServerCore, port: Int)
        case stopping(ServerCore)
        case stopped
    }

    public init(configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler) throws(HTTPServerError) {
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        if configuration.tls == nil && !address.isLoopback && !configuration.allowsPlaintextOffLoopback {
            throw .plaintextOffLoopback(configuration.host)
        }
        guard configuration.maxConnections >= 1 else {
            throw .invalidConfiguration("maxConnections must be at least 1")
        }
        guard (1...256).contains(configuration.eventLoopThreads) else {
            throw .invalidConfiguration("eventLoopThreads must be in 1...256")
        }
        guard (1...256).contains(configuration.handlerThreads) else {
            throw .invalidConfiguration("handlerThreads must be in 1...256")
        }
        for (name, value) in [
            ("headerTimeout", configuration.headerTimeout), ("bodyTimeout", configuration.bodyTimeout),
            ("idleTimeout", configuration.idleTimeout), ("writeTimeout", configuration.writeTimeout),
        ] where value <= .zero {
            throw .invalidConfiguration("\(name) must be positive")
        }
        self.address = address
        self.configuration = configuration
        self.handler = handler
        if let tlsConfiguration = configuration.tls {
            do throws(TLSError) {
                self.tls = try TLSContext(server: tlsConfiguration)
            } catch {
                throw .tls(error.message)
            }
        } else {
            self.tls = nil
        }
    }

    /// The bound port while running, else nil.
    public var port: Int? {
        lifecycle.withLock { state in
            if case .running(_, let port) = state { return port }
            return nil
        }
    }

    /// Binds, listens and starts the handler threads and the event loop threads. Returns the
    /// bound port (the kernel's choice when the configured port is 0).
    @discardableResult
    public func start() throws(HTTPServerError) -> Int {
        try lifecycle.withLock { (state) throws(HTTPServerError) -> Int in
            guard case .idle = state else { throw .alreadyStarted }
            Socket.ignoreSIGPIPE()
            // Connections, plus headroom for the listener, epoll/eventfd and the rest of the process.
            Socket.raiseDescriptorLimit(to: configuration.maxConnections + 64 + 4 * configuration.eventLoopThreads)
            let host = configuration.host
            let name = address.family == AF_INET6 && !host.hasPrefix("[")
                ? "[\(host)]:\(configuration.port)" : "\(host):\(configuration.port)"
            let (listenFD, port) = try Socket.listen(on: address, describedAs: name, backlog: SOMAXCONN)
            let executor: ThreadPoolExecutor
            do throws(ThreadStartError) {
                executor = try ThreadPoolExecutor(name: "coffer-task", threads: configuration.handlerThreads)
            } catch {
                Glibc.close(listenFD)
                throw .system("pthread_create", error.code)
            }
            let core = ServerCore(configuration: configuration, handler: handler, tls: tls, listenFD: listenFD,
                                  executor: executor)
            var loops: [EventLoop] = []
            do throws(HTTPServerError) {
                for index in 0..<configuration.eventLoopThreads {
                    loops.append(try EventLoop(core: core, index: index))
                }
            } catch {
                Glibc.close(listenFD)
                executor.shutdown()
                throw error
            }
            core.loops.withLock { $0 = loops }
            core.loopsStarted(loops.count)
            for loop in loops {
                do throws(ThreadStartError) {
                    try PosixThread.start(named: "coffer-http-\(loop.index)") { loop.run() }
                } catch {
                    // Threads already started exit through the normal shutdown path.
                    core.stopListening()
                    for started in loops { started.post(.beginShutdown) }
                    for _ in loops[loop.index...] { core.loopDidExit() }
                    core.executor.shutdown()
                    state = .stopping(core)
                    throw .system("pthread_create", error.code)
                }
            }
            state = .running(core, port: port)
            return port
        }
    }

    /// Stops accepting, finishes in-flight requests, closes every connection and stops the
    /// event loops, then the handler threads. Returns when the loops are done (at most about
    /// `shutdownGracePeriod`).
    /// Safe to call more than once and from several tasks; later calls wait for the first.
    public func shutdown() async {
        let (core, first) = lifecycle.withLock { state -> (ServerCore?, Bool) in
            switch state {
            case .idle:
                state = .stopped
                return (nil, false)
            case .running(let core, _):
                state = .stopping(core)
                return (core, true)
            case .stopping(let core):
                return (core, false)
            case .stopped:
                return (nil, false)
            }
        }
        guard let core else { return }
        if first {
            core.stopListening()
            for loop in core.loops.withLock({ $0 }) {
                loop.post(.beginShutdown)
            }
        }
        await core.waitForLoops()
        core.closeListener()
        core.executor.shutdown()
        lifecycle.withLock { $0 = .stopped }
    }
}
