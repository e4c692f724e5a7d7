import COpenSSL
import TLS

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One client connection: reads and parses requests, hands each to the handler, writes the
/// response, and keeps the deadlines. Lives on its event loop's thread only.
///
/// ```
/// reading ──request──► handling ──response──► writing ──keep-alive──► reading
///    │                                          │
///    └──parse error / 408──► writing ──close──► lingering ──EOF or timeout──► closed
/// ```
/// One request at a time: while a request is being handled or answered the connection does
/// not read, so pipelined requests wait (in the parser's buffer or the kernel's) and are
/// answered in order. The socket is registered once, edge-triggered, for input and output;
/// `canRead`/`canWrite` remember readiness between edges.
///
/// A half-close (the client's FIN: `EPOLLRDHUP`, or a read of 0) is seen in every state: what
/// was received before it is still answered, then the connection closes at once; a request cut
/// short by it has nothing to answer and closes at once too. Between requests, after an answer,
/// the connection is idle keep-alive (``isIdleKeepAlive``): the only state in which its loop may
/// close it to make room at the connection cap.
final class Connection {
    enum State {
        case reading
        case handling
        case writing
        case lingering
        case closed
    }

    private enum DeadlineKind {
        case none
        /// Waiting for the first byte of a request (a new connection, or between requests).
        case idle
        case head
        case body
        case write
        case linger
    }

    let fd: Int32
    let serial: UInt64
    let remoteAddress: String
    private let tls: TLSStream?
    private unowned let loop: EventLoop
    private var parser: HTTPRequestParser

    private(set) var state = State.reading
    /// Monotonic nanoseconds; 0 = none.
    private(set) var deadline: UInt64 = 0
    private var deadlineKind = DeadlineKind.none

    private var output: [UInt8] = []
    private var outputOffset = 0
    private var closeAfterWrite = false
    private var answeringHEAD = false
    /// An HTTP/1.0 client that asked for keep-alive must be told it got it.
    private var answeringHTTP10KeepAlive = false

    private var canRead = true
    private var canWrite = true
    /// TLS only: the last read stopped because OpenSSL needed to write first, or vice versa.
    private var readWantsWrite = false
    private var writeWantsRead = false
    private var peerClosed = false
    /// Epoll reported `EPOLLRDHUP` or `EPOLLHUP`: the peer sends nothing after what is queued,
    /// so reads go on to that end of input instead of stopping at a short read (an
    /// edge-triggered socket would not report the end again).
    private var hangupSeen = false
    /// At least one response went out and the connection stayed open for the next request.
    private var answeredRequest = false
    private var discarded = 0
    /// This connection's place in its loop's idle list (loop thread only).
    var idleLinks = IdleLinks()

    /// Most bytes a lingering close reads and throws away before giving up on a polite close.
    private static let maxDiscardBytes = 1 << 20
    private static let readableEvents =
        EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
    private static let writableEvents = EPOLLOUT.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue
    private static let hangupEvents = EPOLLRDHUP.rawValue | EPOLLHUP.rawValue

    var isTLS: Bool { tls != nil }

    /// Between requests after at least one answer, with nothing received or left to send.
    var isIdleKeepAlive: Bool {
        state == .reading && answeredRequest && !parser.isMidRequest && parser.bufferedByteCount == 0
            && outputOffset >= output.count && !peerClosed
    }

    init(fd: Int32, serial: UInt64, remoteAddress: String, tls: TLSStream?, limits: HTTPParserLimits, loop: EventLoop) {
        self.fd = fd
        self.serial = serial
        self.remoteAddress = remoteAddress
        self.tls = tls
        self.loop = loop
        self.parser = HTTPRequestParser(limits: limits)
        // A new connection (TLS handshake included) gets the header timeout to start talking.
        setDeadline(.idle, after: loop.timeouts.header)
    }

    // MARK: Events from the loop

    func handle(events: UInt32) {
        if events & Self.hangupEvents != 0 { hangupSeen = true }
        if events & Self.readableEvents != 0 { canRead = true }
        if events & Self.writableEvents != 0 { canWrite = true }
        drive()
    }

    /// The handler's response for the request this connection is waiting on.
    func deliver(_ response: HTTPResponse) {
        guard state == .handling else { return }
        // A handler may end the connection itself by answering `Connection: close`.
        closeAfterWrite = closeAfterWrite || loop.draining
            || response.headers["Connection"].map { $0.lowercased().contains("close") } ?? false
        if answeringHTTP10KeepAlive && !closeAfterWrite {
            var response = response
            response.headers.replaceOrAdd("Connection", "keep-alive")
            return startWriting(response.serialized(closing: false, headRequest: answeringHEAD))
        }
        startWriting(response.serialized(closing: closeAfterWrite, headRequest: answeringHEAD))
    }

    func deadlinePassed() {
        switch deadlineKind {
        case .head, .body:
            guard state == .reading else { return close() }
            // The client started a request and did not finish it in time.
            let reason = deadlineKind == .head ? HTTPRejection.Reason.headerTimeout : HTTPRejection.Reason.bodyTimeout
            reject(.requestTimeout, reason)
            closeAfterWrite = true
            startWriting(ErrorResponses.requestTimeout)
        case .idle:
            // Between requests a keep-alive connection simply ends; a new one never asked anything.
            if !answeredRequest { reject(nil, HTTPRejection.Reason.firstByteTimeout) }
            close()
        case .write:
            reject(nil, HTTPRejection.Reason.writeTimeout)
            close()
        case .linger, .none:
            close()
        }
    }

    /// Reads what may have arrived since the loop last heard from the socket (its event can still
    /// be queued behind the one being handled) and tells whether the connection is still idle
    /// keep-alive: a request that is arriving is never mistaken for idleness. A connection
    /// found busy leaves the idle list; one whose client has left closes.
    func stillIdleAfterReading() -> Bool {
        canRead = true
        readRequests()
        return isIdleKeepAlive
    }

    /// Shutdown has begun: an idle connection closes now (after picking up a request that has
    /// already arrived); one that is mid-request, handling or writing finishes and then closes.
    func shutdownRequested() {
        guard state == .reading, parser.phase == .idle, outputOffset >= output.count else { return }
        drive()
        if state == .reading, parser.phase == .idle {
            close()
        }
    }

    // MARK: State machine

    private func drive() {
        if outputOffset < output.count {
            flush()
            if state == .closed { return }
        }
        switch state {
        case .reading:
            readRequests()
        case .writing:
            if outputOffset >= output.count { responseWritten() }
        case .lingering:
            discardInput()
        case .handling, .closed:
            break
        }
    }

    private func readRequests() {
        // Every change between idle and busy happens in here (or in `close`).
        defer { loop.refreshIdleListing(of: self) }
        while state == .reading {
            let event: HTTPParseEvent?
            do {
                event = try parser.next()
            } catch {
                reject(error.status, error.code, path: parser.failedRequestPath)
                closeAfterWrite = true
                startWriting(loop.core.configuration.parseErrorResponse(error, parser.failedRequestPath)
                    .serialized(closing: true))
                return
            }
            switch event {
            case .expectsContinue:
                // RFC 9110 §10.1.1: skip the interim response if body bytes are already here.
                if parser.bufferedByteCount == 0 {
                    enqueue(HTTPResponse.continueBytes)
                    flush()
                    if state == .closed { return }
                }
                continue
            case .request(let request):
                startHandling(request)
                return
            case nil:
                break
            }

            // More bytes needed: keep the deadline that fits what is missing.
            switch parser.phase {
            case .idle:
                break
            case .head:
                if deadlineKind != .head { setDeadline(.head, after: loop.timeouts.header) }
            case .body:
                if deadlineKind != .body { setDeadline(.body, after: loop.timeouts.body) }
            }
            if peerClosed { return inputEnded() }
            guard readWantsWrite ? canWrite : canRead else { return }

            let buffer = loop.readBuffer
            switch SocketIO.read(fd, through: tls, into: buffer) {
            case .done(let count):
                readWantsWrite = false
                parser.append(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                // A short read drained the socket; the next arrival raises a new edge (but the
                // end of input after a hang-up does not: read on until it).
                if tls == nil && count < buffer.count && !hangupSeen { canRead = false }
            case .wouldBlock(let wantsWrite):
                readWantsWrite = wantsWrite
                if wantsWrite { canWrite = false } else { canRead = false }
                return
            case .closed:
                peerClosed = true
            case .failed:
                return inputEnded()
            }
        }
    }

    /// The client's input ended (EOF, or a broken connection) with nothing complete left to
    /// answer. A request it cut short is reported (the client gave up on it), and so is a TLS
    /// handshake that failed.
    private func inputEnded() {
        if parser.isMidRequest {
            reject(nil, HTTPRejection.Reason.incompleteRequest)
        } else if tls?.handshakeFailed == true {
            reject(nil, HTTPRejection.Reason.tlsHandshakeFailed)
        }
        close()
    }

    private func startHandling(_ request: HTTPRequest) {
        state = .handling
        clearDeadline()
        answeringHEAD = request.method == "HEAD"
        closeAfterWrite = !request.keepAlive
        answeringHTTP10KeepAlive = request.keepAlive && request.version == .http1_0
        loop.dispatch(request, for: self)
    }

    private func startWriting(_ bytes: [UInt8]) {
        state = .writing
        setDeadline(.write, after: loop.timeouts.write)
        enqueue(bytes)
        drive()
    }

    private func responseWritten() {
        if closeAfterWrite || loop.draining {
            return startLingeringClose()
        }
        answeredRequest = true
        state = .reading
        setDeadline(.idle, after: loop.timeouts.idle)
        readRequests()
    }

    // MARK: Output

    private func enqueue(_ bytes: [UInt8]) {
        if outputOffset >= output.count {
            output = bytes
            outputOffset = 0
        } else {
            output.append(contentsOf: bytes)
        }
    }

    /// Writes pending output until it is all out, the socket is full, or the connection fails.
    private func flush() {
        while outputOffset < output.count {
            guard writeWantsRead ? canRead : canWrite else { return }
            let offset = outputOffset
            let result = output.withUnsafeBytes { all in
                SocketIO.write(fd, through: tls, UnsafeRawBufferPointer(rebasing: all[offset...]))
            }
            switch result {
            case .done(let count):
                outputOffset += count
                writeWantsRead = false
            case .wouldBlock(let wantsWrite):
                writeWantsRead = !wantsWrite
                if wantsWrite { canWrite = false } else { canRead = false }
                return
            case .closed, .failed:
                return close()
            }
        }
        output = []
        outputOffset = 0
    }

    // MARK: Closing

    /// Sends our FIN (and TLS close_notify), then reads and discards until the client closes
    /// too or the linger time passes. Closing with unread input would make the kernel send a
    /// reset, which can destroy the response before the client has read it.
    private func startLingeringClose() {
        if peerClosed { return close() }
        tls?.sendCloseNotify()
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
        state = .lingering
        setDeadline(.linger, after: loop.timeouts.linger)
        discardInput()
    }

    private func discardInput() {
        let buffer = loop.readBuffer
        while canRead {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                discarded += count
                if discarded > Self.maxDiscardBytes { return close() }
                if count < buffer.count && !hangupSeen { canRead = false }
            } else if count == 0 {
                return close()
            } else {
                switch errno {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: canRead = false
                default: return close()
                }
            }
        }
    }

    /// Closes the descriptor (which also removes it from epoll) and leaves the loop's table.
    func close() {
        guard closeDescriptor() else { return }
        loop.connectionClosed(self)
    }

    /// Closes an idle keep-alive connection to make room at the cap: its slot passes to the
    /// connection being admitted instead of being released. Silent, as at the idle timeout.
    func reclaim() {
        guard closeDescriptor() else { return }
        loop.connectionReclaimed(self)
    }

    /// False when already closed.
    private func closeDescriptor() -> Bool {
        guard state != .closed else { return false }
        state = .closed
        clearDeadline()
        output = []
        outputOffset = 0
        _ = Glibc.close(fd)
        return true
    }

    /// Tells the application (`HTTPServerConfiguration.rejectionObserver`) of a refusal.
    private func reject(_ status: HTTPStatus?, _ reason: String, path: String? = nil) {
        loop.core.configuration.rejectionObserver?(
            HTTPRejection(status: status, reason: reason, remoteAddress: remoteAddress, path: path))
    }

    // MARK: Deadlines

    private func setDeadline(_ kind: DeadlineKind, after nanoseconds: UInt64) {
        deadlineKind = kind
        deadline = loop.now &+ max(nanoseconds, 1)
    }

    private func clearDeadline() {
        deadlineKind = .none
        deadline = 0
    }
}
