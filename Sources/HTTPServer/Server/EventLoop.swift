import COpenSSL
import Executors
import Synchronization
import TLS

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One epoll loop on a dedicated thread: accepts connections, reads and parses requests,
/// writes responses and enforces deadlines for the connections it owns.
///
/// Handlers never run here: a complete request goes to the handler in a Swift `Task` on the
/// server's handler threads (`ServerCore.executor`), and the response comes back through
/// `post(_:)` (a locked queue plus an eventfd wake-up), so a slow or blocking handler never holds
/// up other connections, and the loop never waits for a handler.
///
/// `@unchecked Sendable`: everything except `inbox`, `wakeFD` and `oldestIdleSince` is touched
/// only by the loop's own thread (`run()` and what it calls). Other threads reach the loop only
/// through `post`, which takes the `inbox` mutex and writes to the eventfd (a thread-safe system
/// call on a descriptor that stays open until `deinit`, so a late post after the loop has exited
/// is harmless: the `stopped` flag drops it). `oldestIdleSince`, which other loops read, is an
/// atomic.
final class EventLoop: @unchecked Sendable {
    enum Message: Sendable {
        /// A handler's answer for the connection `fd` — if it is still connection `serial`.
        case response(fd: Int32, serial: UInt64, HTTPResponse)
        /// Stop accepting, close idle connections, finish the rest, then exit.
        case beginShutdown
        /// Another loop closed a connection while this one had stopped accepting at the cap.
        case resumeAccepting
        /// Another loop found a client waiting at the cap and no idle connection of its own:
        /// accept it here, in place of an idle connection of this loop.
        case admitWaitingClient
    }

    private struct Inbox {
        var messages: [Message] = []
        var stopped = false
    }

    let core: ServerCore
    let index: Int
    private let epollFD: Int32
    private var epollOpen = true
    private let wakeFD: Int32
    private let inbox = Mutex<Inbox>(Inbox())

    // Loop-thread state.
    /// Connections by descriptor number (descriptors are small and dense).
    private var connections: [Connection?] = []
    private var liveConnections = 0
    private var idleConnections = IdleConnectionList()
    /// When this loop's least recently used idle connection became idle (0: none), for other
    /// loops choosing where to send a client waiting at the cap.
    let oldestIdleSince = Atomic<UInt64>(0)
    private var nextSerial: UInt64 = 0
    private var processing: [Message] = []
    /// Whether the listening socket is in this loop's epoll set.
    private var listening = false
    /// Whether this loop is counted in `core.pausedLoops`.
    private var countedAsPaused = false
    private(set) var draining = false
    private var drainDeadline: UInt64 = 0
    /// The loop's notion of now, read once after every `epoll_wait`.
    private(set) var now: UInt64
    /// One read buffer for all of this loop's connections: a read is parsed (copied into the
    /// connection's parser) before the next read, so a parked connection holds no buffer here.
    let readBuffer: UnsafeMutableRawBufferPointer

    static let readBufferSize = 64 * 1024
    private static let maxEvents: Int32 = 512
    private static let acceptBatch = 64
    static let connectionEvents: UInt32 =
        EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue

    var timeouts: ServerCore.Timeouts { core.timeouts }

    init(core: ServerCore, index: Int) throws(HTTPServerError) {
        self.core = core
        self.index = index
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .system("epoll_create1", errno) }
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            let code = errno
            Glibc.close(epollFD)
            throw .system("eventfd", code)
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) == 0 else {
            let code = errno
            Glibc.close(epollFD)
            Glibc.close(wakeFD)
            throw .system("epoll_ctl(eventfd)", code)
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        self.readBuffer = .allocate(byteCount: Self.readBufferSize, alignment: 16)
        self.now = monotonicNanoseconds()
    }

    deinit {
        if epollOpen { Glibc.close(epollFD) }  // a loop whose thread never ran
        Glibc.close(wakeFD)
    }

    // MARK: - From any thread

    /// Queues a message for the loop and wakes it if the queue was empty (a busy loop drains
    /// many responses per wake-up, so the eventfd write is paid once per batch, not per response).
    func post(_ message: Message) {
        let wake = inbox.withLock { inbox -> Bool in
            guard !inbox.stopped else { return false }
            inbox.messages.append(message)
            return inbox.messages.count == 1
        }
        if wake {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, MemoryLayout<UInt64>.size)
        }
    }

    // MARK: - Loop thread

    /// Runs until shutdown has drained every connection (or the grace period has passed).
    func run() {
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(Self.maxEvents))
        defer { events.deallocate() }
        now = monotonicNanoseconds()
        resumeAccepting()
        var nextTick = now + timeouts.tick

        while true {
            let waitMilliseconds = nextTick > now ? Int32((nextTick - now + 999_999) / 1_000_000) : 0
            let count = epoll_wait(epollFD, events, Self.maxEvents, waitMilliseconds)
            now = monotonicNanoseconds()
            if count < 0 {
                if errno == EINTR { continue }
                break  // EBADF/EINVAL: the loop's own descriptor is broken; nothing to recover.
            }
            for slot in 0..<Int(count) {
                let event = events[slot]
                let fd = event.data.fd
                if fd == wakeFD {
                    drainInbox()
                } else if fd == core.listenFD {
                    acceptConnections()
                } else if Int(fd) < connections.count, let connection = connections[Int(fd)] {
                    connection.handle(events: event.events)
                }
            }
            if now >= nextTick {
                checkDeadlines()
                if !listening && !draining { resumeAccepting() }
                nextTick = now + timeouts.tick
            }
            if draining {
                if liveConnections == 0 { break }
                if now >= drainDeadline {
                    closeAll()
                    break
                }
            }
        }
        finish()
    }

    private func finish() {
        closeAll()
        if listening {
            _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, core.listenFD, nil)
            listening = false
        }
        Glibc.close(epollFD)
        epollOpen = false
        inbox.withLock { inbox in
            inbox.stopped = true
            inbox.messages = []
        }
        processing = []
        readBuffer.deallocate()
        core.loopDidExit()
    }

    private func drainInbox() {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeFD, &counter, MemoryLayout<UInt64>.size)
        // Read the eventfd before taking the queue: a post that lands after the swap writes
        // the eventfd again, so no message is ever left without a wake-up.
        inbox.withLock { swap(&$0.messages, &processing) }
        for message in processing {
            switch message {
            case .response(let fd, let serial, let response):
                deliver(response, fd: fd, serial: serial)
            case .beginShutdown:
                beginShutdown()
            case .resumeAccepting:
                resumeAccepting()
            case .admitWaitingClient:
                acceptConnections(askingOtherLoops: false)
            }
        }
        processing.removeAll(keepingCapacity: true)
    }

    // MARK: Accepting

    /// Where the slot of the next accepted connection comes from.
    private enum Admission {
        /// A free slot, reserved.
        case reserved
        /// The cap is reached: this idle connection gives up its slot once a client is accepted
        /// (not before, so that no idle connection is closed when nobody is waiting).
        case reclaiming(Connection)
    }

    /// Accepts what is waiting. At the connection cap a new client is admitted by closing the
    /// least recently used idle keep-alive connection (``IdleConnectionList``): this loop's own
    /// first; else the loop whose idle connection is oldest is asked, by a message, to admit the
    /// client itself. A loop with nothing to reclaim takes the listening socket out of its epoll
    /// set until a slot frees or one of its connections becomes idle.
    private func acceptConnections(askingOtherLoops: Bool = true) {
        guard !draining else { return }
        for _ in 0..<Self.acceptBatch {
            guard let admission = admission(askingOtherLoops: askingOtherLoops) else { return }
            switch Socket.accept(core.listenFD) {
            case .accepted(let fd, let remoteAddress):
                if case .reclaiming(let idle) = admission { idle.reclaim() }
                adopt(fd: fd, remoteAddress: remoteAddress)
            case .wouldBlock:
                giveBack(admission)
                return
            case .retry:
                giveBack(admission)
            case .exhausted, .failed:
                // Out of descriptors/memory, or the listener was shut down: stop for now; the
                // next tick tries again (unless draining).
                giveBack(admission)
                pauseAccepting()
                return
            }
        }
    }

    /// A slot for the next accept: a free one, or else this loop's least recently used idle
    /// connection's. Nil at the cap with nothing idle here: the listening socket then leaves
    /// this loop's epoll set, and the loop whose idle connection is oldest (if any) is asked to
    /// admit the waiting client — unless this loop is answering such a request itself.
    private func admission(askingOtherLoops: Bool) -> Admission? {
        if core.reserveSlot() { return .reserved }
        let idle = oldestConfirmedIdleConnection()
        // Confirming closes connections whose clients have left: their slots are free now.
        if core.reserveSlot() { return .reserved }
        if let idle { return .reclaiming(idle) }
        if askingOtherLoops, let other = core.loopWithOldestIdleConnection(besides: self) {
            other.post(.admitWaitingClient)
        }
        pauseAccepting()
        return nil
    }

    private func giveBack(_ admission: Admission) {
        if case .reserved = admission { core.releaseSlot() }
    }

    /// The least recently used connection that is still idle once what may have arrived on it
    /// is read; those found busy (or gone) leave the list on the way.
    private func oldestConfirmedIdleConnection() -> Connection? {
        while let candidate = idleConnections.oldest {
            if candidate.stillIdleAfterReading() { return candidate }
        }
        return nil
    }

    private func adopt(fd: Int32, remoteAddress: String) {
        var tls: TLSStream?
        if let context = core.tls {
            guard let stream = TLSStream(context: context, fd: fd) else {
                Glibc.close(fd)
                core.releaseSlot()
                return
            }
            tls = stream
        }
        var event = epoll_event()
        event.events = Self.connectionEvents
        event.data.fd = fd
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            Glibc.close(fd)
            core.releaseSlot()
            return
        }
        nextSerial += 1
        let connection = Connection(
            fd: fd, serial: nextSerial, remoteAddress: remoteAddress, tls: tls,
            limits: core.configuration.limits, loop: self)
        let slot = Int(fd)
        if slot >= connections.count {
            connections.append(contentsOf: repeatElement(nil, count: max(slot + 1 - connections.count, 64)))
        }
        connections[slot] = connection
        liveConnections += 1
    }

    private func pauseAccepting() {
        guard listening else { return }
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, core.listenFD, nil)
        listening = false
        if !countedAsPaused {
            countedAsPaused = true
            core.pausedLoops.add(1, ordering: .relaxed)
        }
    }

    /// Puts the listening socket back into this loop's epoll set while there is room, or an idle
    /// connection here that can make room.
    private func resumeAccepting() {
        guard !listening, !draining,
              core.openConnectionCount < core.maxConnections || !idleConnections.isEmpty else { return }
        var event = epoll_event()
        // Level-triggered; EPOLLEXCLUSIVE wakes one loop per incoming connection, not all.
        event.events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue
        event.data.fd = core.listenFD
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, core.listenFD, &event) == 0 else { return }
        listening = true
        if countedAsPaused {
            countedAsPaused = false
            core.pausedLoops.subtract(1, ordering: .relaxed)
        }
    }

    // MARK: Connections

    /// Called by a connection that has closed its descriptor.
    func connectionClosed(_ connection: Connection) {
        forget(connection)
        core.releaseSlot()
        if !listening && !draining {
            resumeAccepting()
        }
        core.slotFreed(by: self)
    }

    /// Called by an idle connection closed to admit a new one, which takes over its slot.
    func connectionReclaimed(_ connection: Connection) {
        forget(connection)
    }

    private func forget(_ connection: Connection) {
        let slot = Int(connection.fd)
        if slot < connections.count, connections[slot] === connection {
            connections[slot] = nil
        }
        liveConnections -= 1
        refreshIdleListing(of: connection)
    }

    /// Lists `connection` as idle or unlists it, to match its state. A loop that stopped
    /// accepting at the cap takes the listening socket back once it has a connection to reclaim.
    func refreshIdleListing(of connection: Connection) {
        let idle = connection.isIdleKeepAlive
        guard idle != connection.idleLinks.isListed else { return }
        if idle {
            idleConnections.append(connection, now: now)
            if !listening && !draining { resumeAccepting() }
        } else {
            idleConnections.remove(connection)
        }
        oldestIdleSince.store(idleConnections.oldestSince, ordering: .relaxed)
    }

    /// Hands a complete request to the handler in a `Task` on the server's handler threads; the
    /// response comes back by `post`.
    func dispatch(_ request: HTTPRequest, for connection: Connection) {
        let context = HTTPRequestContext(
            remoteAddress: connection.remoteAddress, isTLS: connection.isTLS,
            receivedAt: ContinuousClock.now)
        let fd = connection.fd
        let serial = connection.serial
        let handler = core.handler
        Task(executorPreference: core.executor) {
            let response = await handler(request, context)
            self.post(.response(fd: fd, serial: serial, response))
        }
    }

    private func deliver(_ response: HTTPResponse, fd: Int32, serial: UInt64) {
        if Int(fd) < connections.count, let connection = connections[Int(fd)], connection.serial == serial {
            connection.deliver(response)
        }
    }

    private func checkDeadlines() {
        var slot = 0
        while slot < connections.count {
            if let connection = connections[slot], connection.deadline != 0, connection.deadline <= now {
                connection.deadlinePassed()
            }
            slot += 1
        }
    }

    private func beginShutdown() {
        guard !draining else { return }
        draining = true
        drainDeadline = now + timeouts.shutdownGrace
        if listening {
            _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, core.listenFD, nil)
            listening = false
        }
        var slot = 0
        while slot < connections.count {
            connections[slot]?.shutdownRequested()
            slot += 1
        }
    }

    private func closeAll() {
        var slot = 0
        while slot < connections.count {
            connections[slot]?.close()
            slot += 1
        }
    }
}
