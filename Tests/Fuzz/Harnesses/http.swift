// Target `http`: the HTTP/1.1 request parser (`HTTPRequestParser`, chunked bodies included).
//
// Properties, for every input, under the default limits and under small ones (so the fuzzer
// reaches every limit with short inputs):
// - the same events and the same error whether the bytes arrive at once, in uneven pieces, or one
//   byte at a time (docs/http.md);
// - every refusal is a 4xx/5xx whose response is the JSON error envelope with the error's code;
// - every request is well formed: token method, Host on HTTP/1.1, header values without CR, LF or
//   NUL, a body within the limit, nothing after a closing request;
// - a request written back out (framed by Content-Length) parses to the same request.
import HTTPServer
import JSON

private struct Outcome: Equatable {
    var events: [HTTPParseEvent] = []
    var error: HTTPParseError?
}

private let smallLimits: HTTPParserLimits = {
    var limits = HTTPParserLimits()
    limits.maxRequestLineBytes = 48
    limits.maxHeaderBytes = 96
    limits.maxHeaderCount = 4
    limits.maxBodyBytes = 24
    limits.maxChunkLineBytes = 12
    limits.maxLeadingEmptyLines = 2
    return limits
}()

/// Room for a request re-serialized in canonical form ("name: value", one more byte per line).
private let roomyLimits: HTTPParserLimits = {
    var limits = HTTPParserLimits()
    limits.maxHeaderBytes = 64 * 1024
    limits.maxHeaderCount = 101
    return limits
}()

private func parse(_ pieces: some Sequence<ArraySlice<UInt8>>, _ limits: HTTPParserLimits) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = Outcome()
    for piece in pieces {
        parser.append(piece)
        do {
            while let event = try parser.next() { outcome.events.append(event) }
        } catch {
            outcome.error = error
            fuzzCheck((try? parser.next()) == nil && parser.failure == error, "a failed parser stays failed")
            return outcome
        }
    }
    return outcome
}

/// Uneven pieces whose lengths follow from the input itself, so a crash reproduces exactly.
private func unevenPieces(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var pieces: [ArraySlice<UInt8>] = []
    var start = 0
    var state = UInt32(truncatingIfNeeded: bytes.count) &* 2_654_435_761 | 1
    while start < bytes.count {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let length = min(Int(state % 23) + 1, bytes.count - start)
        pieces.append(bytes[start..<start + length])
        start += length
    }
    return pieces
}

private func isToken(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { byte in
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

private func namesEqual(_ a: String, _ b: String) -> Bool { a.lowercased() == b.lowercased() }

private func isFraming(_ name: String) -> Bool {
    namesEqual(name, "Content-Length") || namesEqual(name, "Transfer-Encoding")
}

private func checkError(_ error: HTTPParseError) {
    fuzzCheck((400..<600).contains(error.status.rawValue), "a refusal is a 4xx or 5xx")
    let response = error.response
    guard case .object(let body)? = try? JSONParser.parse(response.body),
        case .object(let envelope)? = body["error"]
    else { return fuzzCheck(false, "a refusal carries the JSON error envelope") }
    fuzzCheck(envelope["code"] == .string(error.code), "the envelope names the error's code")
}

private func checkRequest(_ request: HTTPRequest, limits: HTTPParserLimits) {
    fuzzCheck(isToken(request.method), "the method is a token")
    fuzzCheck(!request.target.isEmpty && !request.path.isEmpty, "a request has a target and a path")
    fuzzCheck(request.body.count <= limits.maxBodyBytes, "the body stays within the limit")
    fuzzCheck(request.headers.count <= limits.maxHeaderCount + 1, "the header count stays within the limit")
    if request.version == .http1_1 {
        fuzzCheck(request.headers.values(for: "Host").count == 1, "an HTTP/1.1 request has exactly one Host")
    }
    for (name, value) in request.headers {
        fuzzCheck(isToken(name), "a header name is a token")
        fuzzCheck(!value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }),
                  "a header value holds no CR, LF or NUL")
    }
}

/// The request as a client could have sent it, framed by Content-Length.
private func wireForm(_ request: HTTPRequest) -> [UInt8] {
    var text = "\(request.method) \(request.target) \(request.version)\r\n"
    for (name, value) in request.headers where !isFraming(name) {
        text += "\(name): \(value)\r\n"
    }
    if !request.body.isEmpty { text += "Content-Length: \(request.body.count)\r\n" }
    return Array((text + "\r\n").utf8) + request.body
}

private func checkRoundTrip(_ request: HTTPRequest) {
    let again = parse([wireForm(request)[...]], roomyLimits)
    let requests = again.events.compactMap { event -> HTTPRequest? in
        if case .request(let request) = event { return request }
        return nil
    }
    fuzzCheck(again.error == nil && requests.count == 1, "a re-serialized request parses")
    guard let reparsed = requests.first else { return }
    fuzzCheck(reparsed.method == request.method && reparsed.target == request.target
              && reparsed.path == request.path && reparsed.query == request.query
              && reparsed.version == request.version && reparsed.keepAlive == request.keepAlive
              && reparsed.body == request.body, "a re-serialized request parses to the same request")
    let original = request.headers.filter { !isFraming($0.name) }
    let second = reparsed.headers.filter { !isFraming($0.name) }
    fuzzCheck(original.elementsEqual(second, by: { $0.name == $1.name && $0.value == $1.value }),
              "a re-serialized request keeps its header fields in order")
}

private func check(_ bytes: [UInt8], limits: HTTPParserLimits, bytewise: Bool) {
    let whole = parse([bytes[...]], limits)
    fuzzCheck(parse(unevenPieces(bytes), limits) == whole, "uneven pieces give the same events and error")
    if bytewise {
        fuzzCheck(parse(bytes.indices.lazy.map { bytes[$0...$0] }, limits) == whole,
                  "one byte at a time gives the same events and error")
    }
    if let error = whole.error { checkError(error) }
    var closed = false
    var continued: HTTPRequestHead?
    for event in whole.events {
        fuzzCheck(!closed, "nothing is parsed after a closing request")
        switch event {
        case .expectsContinue(let head):
            fuzzCheck(continued == nil, "100-continue comes once per request")
            continued = head
        case .request(let request):
            fuzzCheck(continued.map { $0 == request.head } ?? true, "100-continue announces the request's head")
            continued = nil
            checkRequest(request, limits: limits)
            checkRoundTrip(request)
            closed = !request.keepAlive
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    // One byte at a time costs a parser step per byte: short inputs show the same splits.
    check(input.bytes, limits: HTTPParserLimits(), bytewise: input.bytes.count <= 512)
    check(input.bytes, limits: smallLimits, bytewise: false)
    return 0
}
