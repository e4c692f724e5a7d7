/// Turns the bytes of one connection into HTTP/1.x requests.
///
/// A pure function of the bytes it is given — no sockets, threads or clocks — so every rule is
/// testable from byte strings and the result does not depend on how the bytes were split: one
/// byte at a time gives the same events and errors as everything at once.
///
/// Use: `append` what was read, then call `next()` until it returns nil. An error means the
/// framing of the stream is lost: answer `error.status` with `Connection: close` and close the
/// connection. The parser then stays failed (every `next()` rethrows the error) and drops
/// further input. After a request with `keepAlive == false` it likewise drops further input
/// and returns nil, so nothing smuggled behind a closing request is ever parsed.
///
/// Cost: each byte of the head is examined a bounded number of times (scans resume where they
/// stopped), no `String` is made until a line is complete and valid, and consumed bytes are
/// dropped from the buffer by occasional compaction.
public struct HTTPRequestParser: Sendable {
    /// What the parser is waiting for, so the connection layer can pick a timeout.
    public enum Phase: Sendable, Hashable {
        /// Between requests: nothing of the next request has arrived (idle timeout).
        case idle
        /// The request line or header section is incomplete (header timeout).
        case head
        /// The head is complete and the body is incomplete (body timeout).
        case body
    }

    private enum State: Sendable {
        case requestLine(RequestLineProgress)
        case headers(scanned: Int)
        case fixedBody(remaining: Int)
        case chunkedBody(ChunkedBodyDecoder)
        case closed
        case failed(HTTPParseError)
    }

    /// What is known about the head while its field lines arrive.
    private struct PendingHead: Sendable {
        var line: RequestLine
        var headers = HTTPHeaders()
        var headerBytes = 0
        var hostCount = 0
        var host = ""
        var contentLengthCount = 0
        var contentLength = ""
        var transferEncodingCount = 0
        var transferEncoding = ""
        var connectionClose = false
        var connectionKeepAlive = false
        var expectContinue = false
        var expectOther = false

        init(line: RequestLine) {
            self.line = line
            headers.reserveCapacity(16)
        }
    }

    private enum Framing {
        case none
        case length(Int)
        case chunked
    }

    public let limits: HTTPParserLimits
    private var state = State.requestLine(RequestLineProgress())
    private var buffer: [UInt8] = []
    /// Bytes before this index are consumed. The scan position lives in `state`, relative to it.
    private var readIndex = 0
    private var pending: PendingHead?
    private var head: HTTPRequestHead?
    /// The path of the request being read, from its request line until it is complete.
    private var requestPath: String?
    private var body: [UInt8] = []

    /// Compact once this many consumed bytes sit in front of unconsumed ones (and they are at
    /// least half the buffer): bounded memmove work per received byte.
    private static let compactionThreshold = 4096

    public init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    /// Adds received bytes. Any split works, down to one byte at a time. Bytes are ignored once
    /// the parser has failed or has returned a closing request.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        guard acceptsInput else { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes straight from a read buffer.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard acceptsInput else { return }
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete event, or nil when more bytes are needed. After an error the parser
    /// stays failed and throws the same error again.
    public mutating func next() throws(HTTPParseError) -> HTTPParseEvent? {
        if case .failed(let error) = state { throw error }
        do {
            return try advance()
        } catch {
            state = .failed(error)
            failedRequestPath = requestPath
            dropInput()
            pending = nil
            head = nil
            body = []
            throw error
        }
    }

    /// True while a request has started arriving but is incomplete.
    public var isMidRequest: Bool { phase != .idle }

    public var phase: Phase {
        switch state {
        case .requestLine: readIndex < buffer.count ? .head : .idle
        case .headers: .head
        case .fixedBody, .chunkedBody: .body
        case .closed, .failed: .idle
        }
    }

    /// Received bytes not yet consumed — the connection layer can stop reading while this is
    /// large (e.g. a client pipelining faster than it reads responses).
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// True once a closing request (`keepAlive == false`) has been returned.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The path of the request the parser failed in, when its request line had been read: lets
    /// the error response take the shape of the API the client was calling.
    public private(set) var failedRequestPath: String?

    /// The error the parser failed with, if it has.
    public var failure: HTTPParseError? {
        if case .failed(let error) = state { return error }
        return nil
    }

    private var acceptsInput: Bool {
        switch state {
        case .closed, .failed: false
        default: true
        }
    }

    private mutating func dropInput() {
        buffer = []
        readIndex = 0
    }

    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= Self.compactionThreshold, readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }

    // MARK: - State machine

    private mutating func advance() throws(HTTPParseError) -> HTTPParseEvent? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .closed:
                return nil

            case .requestLine(var progress):
                let start = readIndex
                let maxContent = limits.maxRequestLineBytes
                let length = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                    try RequestLineParser.scan(
                        bytes, start: start, progress: &progress, maxContent: maxContent)
                }
                guard let length else {
                    state = .requestLine(progress)
                    return nil
                }
                if length == 0 {
                    // RFC 9112 §2.2: tolerate a few empty lines before the request line.
                    progress.emptyLines += 1
                    guard progress.emptyLines <= limits.maxLeadingEmptyLines else {
                        throw .tooManyEmptyLines
                    }
                    progress.scanned = 0
                    readIndex += 2
                    state = .requestLine(progress)
                    continue
                }
                guard progress.spaces == 2 else { throw .invalidRequestLine }
                let line = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                    try RequestLineParser.parse(bytes, start: start, length: length)
                }
                pending = PendingHead(line: line)
                requestPath = line.path
                readIndex += length + 2
                state = .headers(scanned: 0)

            case .headers(let scanned):
                if let event = try advanceHeaders(scanned: scanned) { return event }
                if case .headers = state { return nil }

            case .fixedBody(let remaining):
                // Moved out of the receive buffer as it arrives (like chunk data), so the buffer
                // stays small and `bufferedByteCount` keeps meaning "not yet looked at". No
                // capacity is reserved for the declared length: memory follows received bytes.
                let available = min(remaining, buffer.count - readIndex)
                if available > 0 {
                    body.append(contentsOf: buffer[readIndex..<readIndex + available])
                    readIndex += available
                }
                guard available == remaining else {
                    state = .fixedBody(remaining: remaining - available)
                    return nil
                }
                return .request(finishRequest())

            case .chunkedBody(var decoder):
                var index = readIndex
                var decoded = body
                body = []
                let limits = limits
                let done = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                    try decoder.decode(bytes, index: &index, body: &decoded, limits: limits)
                }
                readIndex = index
                body = decoded
                guard done else {
                    state = .chunkedBody(decoder)
                    return nil
                }
                return .request(finishRequest())
            }
        }
    }

    /// Reads field lines until the head is complete or bytes run out. Returns an event when the
    /// head produced one; otherwise `state` says where to go on.
    private mutating func advanceHeaders(scanned: Int) throws(HTTPParseError) -> HTTPParseEvent? {
        guard var head = pending else { throw .invalidRequestLine }
        pending = nil  // moved out, so appending fields does not copy them
        var scanned = scanned
        let limits = limits
        while true {
            let start = readIndex
            let used = head.headerBytes
            let scan = try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                try LineScanner.scan(
                    bytes, start: start, scanned: scanned,
                    maxContent: limits.maxHeaderBytes - used - 2, tooLong: .headersTooLarge)
            }
            switch scan {
            case .incomplete(let progress):
                state = .headers(scanned: progress)
                pending = head
                return nil
            case .complete(0):
                readIndex += 2
                return try finishHead(&head)
            case .complete(let length):
                try buffer.withUnsafeBufferPointer { bytes throws(HTTPParseError) in
                    try Self.addField(bytes, start: start, length: length, to: &head, limits: limits)
                }
                readIndex += length + 2
                scanned = 0
            }
        }
    }

    private static func addField(
        _ bytes: UnsafeBufferPointer<UInt8>, start: Int, length: Int, to head: inout PendingHead,
        limits: HTTPParserLimits
    ) throws(HTTPParseError) {
        let line = try FieldLineParser.parse(bytes, start: start, length: length)
        let value = try FieldLineParser.value(bytes, line)
        guard head.headers.count < limits.maxHeaderCount else { throw .tooManyHeaders }
        head.headerBytes += length + 2
        switch FieldLineParser.known(bytes, line) {
        case .host:
            head.hostCount += 1
            if head.hostCount == 1 { head.host = value }
        case .contentLength:
            head.contentLengthCount += 1
            if head.contentLengthCount == 1 { head.contentLength = value }
        case .transferEncoding:
            head.transferEncodingCount += 1
            if head.transferEncodingCount == 1 { head.transferEncoding = value }
        case .connection:
            for option in FieldLineParser.listElements(value) {
                if FieldLineParser.equalsIgnoringCase(option.utf8, "close") {
                    head.connectionClose = true
                } else if FieldLineParser.equalsIgnoringCase(option.utf8, "keep-alive") {
                    head.connectionKeepAlive = true
                }
            }
        case .expect:
            if FieldLineParser.equalsIgnoringCase(value[...].utf8, "100-continue") {
                head.expectContinue = true
            } else {
                head.expectOther = true
            }
        case nil:
            break
        }
        head.headers.add(FieldLineParser.name(bytes, line), value)
    }

    /// Checks what only the complete head can tell, picks the framing and moves to the body.
    private mutating func finishHead(_ pending: inout PendingHead) throws(HTTPParseError) -> HTTPParseEvent? {
        let version = pending.line.version
        let framing = try Self.framing(of: pending, limits: limits)

        if version == .http1_1 && pending.hostCount == 0 { throw .missingHost }
        if pending.hostCount > 1 { throw .duplicateHost }
        if pending.hostCount == 1 {
            let classes = ByteClass.table
            for byte in pending.host.utf8 where classes[Int(byte)] & ByteClass.authority == 0 {
                throw .invalidHost
            }
        }
        if let authority = pending.line.authority {
            // RFC 9112 §3.2.2: with an absolute-form target, its authority is the host.
            pending.headers.replaceOrAdd("Host", authority)
        }
        if pending.expectOther { throw .unsupportedExpectation }

        let keepAlive =
            switch version {
            case .http1_1: !pending.connectionClose
            case .http1_0: pending.connectionKeepAlive && !pending.connectionClose
            }
        let head = HTTPRequestHead(
            method: pending.line.method, target: pending.line.target, path: pending.line.path,
            query: pending.line.query, version: version, headers: pending.headers,
            keepAlive: keepAlive)
        self.head = head
        body = []

        let hasBody: Bool
        switch framing {
        case .none, .length(0):
            return .request(finishRequest())
        case .length(let length):
            state = .fixedBody(remaining: length)
            hasBody = true
        case .chunked:
            state = .chunkedBody(ChunkedBodyDecoder())
            hasBody = true
        }
        // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
        if hasBody && pending.expectContinue && version == .http1_1 {
            return .expectsContinue(head)
        }
        return nil
    }

    /// RFC 9112 §6.3, strictly: exactly one framing, stated exactly once.
    private static func framing(
        of head: PendingHead, limits: HTTPParserLimits
    ) throws(HTTPParseError) -> Framing {
        if head.transferEncodingCount > 0 {
            if head.contentLengthCount > 0 { throw .ambiguousFraming }
            if head.line.version == .http1_0 { throw .transferEncodingOnHTTP10 }
            guard head.transferEncodingCount == 1,
                FieldLineParser.equalsIgnoringCase(head.transferEncoding[...].utf8, "chunked")
            else { throw .unsupportedTransferEncoding }
            return .chunked
        }
        guard head.contentLengthCount > 0 else { return .none }
        guard head.contentLengthCount == 1, !head.contentLength.utf8.contains(ASCII.comma) else {
            throw .duplicateContentLength
        }
        let digits = head.contentLength.utf8
        // 1*DIGIT, at most 18 digits so that it cannot overflow.
        guard !digits.isEmpty, digits.count <= 18,
            digits.allSatisfy({ $0 >= ASCII.zero && $0 <= ASCII.nine })
        else { throw .invalidContentLength }
        let length = digits.reduce(0) { $0 * 10 + Int($1 - ASCII.zero) }
        guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
        return .length(length)
    }

    private mutating func finishRequest() -> HTTPRequest {
        let request = HTTPRequest(head: head!, body: body)
        head = nil
        requestPath = nil
        body = []
        pending = nil
        if request.keepAlive {
            state = .requestLine(RequestLineProgress())
            if readIndex == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                readIndex = 0
            }
        } else {
            state = .closed
            dropInput()
        }
        return request
    }
}
