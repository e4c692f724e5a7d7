import Executors
import Synchronization
import TLS

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// What the event loops of one running server share: the configuration, the handler and the
/// threads it runs on, the listening socket and the connection count. Everything here is
/// immutable or synchronized.
final class ServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let handler: HTTPHandler
    /// The handler threads: every handler task prefers this executor, so it starts there and
    /// every continuation it awaits resumes there.
    let executor: ThreadPoolExecutor
    let tls: TLSContext?
    let listenFD: Int32
    let maxConnections: Int
    let timeouts: Timeouts

    /// Connections open over all loops: a slot is reserved before `accept4` and released when
    /// the connection closes (or handed to the one admitted in its place, when an idle
    /// connection is reclaimed at the cap), so the count can never pass `maxConnections`.
    private let openConnections = Atomic<Int>(0)
    /// Loops that took the listening socket out of their epoll set because the cap was reached.
    let pausedLoops = Atomic<Int>(0)
    /// All loops, for the rare cross-loop messages at the cap ("a slot is free, resume
    /// accepting"; "admit a waiting client in place of an idle connection"). Emptied
    /// when the last loop exits, which breaks the loop ↔ core reference cycle.
    let loops = Mutex<[EventLoop]>([])
    private let listenerClosed = Atomic<Bool>(false)
    private let exit = Mutex<ExitState>(ExitState())

    private struct ExitState {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Deadlines in monotonic nanoseconds, converted once.
    struct Timeouts {
        var header: UInt64
        var body: UInt64
        var idle: UInt64
        var write: UInt64
        /// How long a closing connection keeps reading (and discarding) after our FIN, so that
        /// unread request bytes do not turn the close into a reset that destroys the response.
        var linger: UInt64
        var shutdownGrace: UInt64
        /// How often each loop scans its connections for passed deadlines.
        var tick: UInt64
    }

    init(configuration: HTTPServerConfiguration, handler: @escaping HTTPHandler, tls: TLSContext?, listenFD: Int32,
         executor: ThreadPoolExecutor) {
        self.configuration = configuration
        self.handler = handler
        self.executor = executor
        self.tls = tls
        self.listenFD = listenFD
        self.maxConnections = configuration.maxConnections
        let header = configuration.headerTimeout.clampedNanoseconds
        let body = configuration.bodyTimeout.clampedNanoseconds
        let idle = configuration.idleTimeout.clampedNanoseconds
        let write = configuration.writeTimeout.clampedNanoseconds
        // A quarter of the shortest timeout, between 10 ms and 250 ms: a deadline fires at most
        // 25% late, and an idle server wakes at most 4 times a second.
        let tick = min(max(min(header, body, idle, write) / 4, 10_000_000), 250_000_000)
        self.timeouts = Timeouts(
            header: header, body: body, idle: idle, write: write,
            linger: min(2_000_000_000, max(header, 100_000_000)),
            shutdownGrace: configuration.shutdownGracePeriod.clampedNanoseconds, tick: tick)
    }

    var openConnectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Takes one connection slot if the cap allows.
    func reserveSlot() -> Bool {
        var current = openConnections.load(ordering: .relaxed)
        while current < maxConnections {
            let (exchanged, original) = openConnections.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func releaseSlot() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    /// Tells every other paused loop that a slot is free (only matters with several loops).
    func slotFreed(by loop: EventLoop) {
        guard pausedLoops.load(ordering: .relaxed) > 0 else { return }
        let others = loops.withLock { $0 }
        for other in others where other !== loop {
            other.post(.resumeAccepting)
        }
    }

    /// The loop other than `loop` whose least recently used idle connection has been idle
    /// longest, or nil when no other loop has one.
    func loopWithOldestIdleConnection(besides loop: EventLoop) -> EventLoop? {
        var oldest: (loop: EventLoop, since: UInt64)?
        for other in loops.withLock({ $0 }) where other !== loop {
            let since = other.oldestIdleSince.load(ordering: .relaxed)
            if since != 0, since < oldest?.since ?? .max { oldest = (other, since) }
        }
        return oldest?.loop
    }

    // MARK: Lifecycle

    func loopsStarted(_ count: Int) {
        exit.withLock { $0.running = count }
    }

    func loopDidExit() {
        let (last, waiters) = exit.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            state.running -= 1
            guard state.running == 0 else { return (false, []) }
            let waiters = state.waiters
            state.waiters = []
            return (true, waiters)
        }
        guard last else { return }
        loops.withLock { $0 = [] }
        for waiter in waiters {
            waiter.resume()
        }
    }

    /// Returns once every loop thread has exited.
    func waitForLoops() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = exit.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Stops the kernel from completing new connections at once: `shutdown(2)` on a listening
    /// socket makes it stop listening (new SYNs are refused), while the descriptor stays valid
    /// for the loops until they have let go of it.
    func stopListening() {
        _ = Glibc.shutdown(listenFD, Int32(SHUT_RDWR))
    }

    /// Closes the listening descriptor once (after every loop has exited).
    func closeListener() {
        guard !listenerClosed.exchange(true, ordering: .relaxed) else { return }
        _ = Glibc.close(listenFD)
    }
}
