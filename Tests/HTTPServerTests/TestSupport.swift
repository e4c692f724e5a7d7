import HTTPServer
import TestSupport
import Testing

/// One thing the parser reported.
enum ParseOutcome: Equatable, CustomStringConvertible {
    case head(HTTPRequestHead)
    case request(HTTPRequest)
    case error(HTTPParseError)

    var description: String {
        switch self {
        case .head(let head): "head(\(head.method) \(head.target))"
        case .request(let request):
            "request(\(request.method) \(request.target) \(request.headers.count)h \(request.body.count)b)"
        case .error(let error): "error(\(error.status.rawValue) \(error.code))"
        }
    }

    var request: HTTPRequest? {
        if case .request(let request) = self { return request }
        return nil
    }

    var error: HTTPParseError? {
        if case .error(let error) = self { return error }
        return nil
    }
}

func octets(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Feeds `input` in pieces of `split` bytes (all at once when nil), draining events after
/// every piece, and stops at the first error.
func feed(_ input: [UInt8], split: Int? = nil, limits: HTTPParserLimits = .init()) -> [ParseOutcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [ParseOutcome] = []
    let step = max(1, split ?? input.count)
    var offset = 0
    repeat {
        let end = min(input.count, offset + step)
        parser.append(input[offset..<end])
        offset = end
        do {
            while let event = try parser.next() {
                switch event {
                case .expectsContinue(let head): outcomes.append(.head(head))
                case .request(let request): outcomes.append(.request(request))
                }
            }
        } catch {
            outcomes.append(.error(error))
            return outcomes
        }
    } while offset < input.count
    return outcomes
}

/// Parses `input` whole and in several splits (down to one byte at a time), expects identical
/// outcomes, and returns them.
func parseOutcomes(
    _ input: [UInt8], limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> [ParseOutcome] {
    let whole = feed(input, limits: limits)
    for split in [1, 2, 3, 7, 64] {
        let pieces = feed(input, split: split, limits: limits)
        #expect(pieces == whole, "split \(split) differs", sourceLocation: sourceLocation)
    }
    return whole
}

func parseOutcomes(
    _ input: String, limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> [ParseOutcome] {
    parseOutcomes(octets(input), limits: limits, sourceLocation: sourceLocation)
}

/// Expects `input` to produce no request and end in the error `code` with `status`.
func expectParseError(
    _ input: [UInt8], _ status: HTTPStatus, _ code: String, limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let result = parseOutcomes(input, limits: limits, sourceLocation: sourceLocation)
    #expect(result.compactMap(\.request).isEmpty, "unexpected request", sourceLocation: sourceLocation)
    guard let error = result.last?.error else {
        Issue.record("expected \(status.rawValue) \(code), got \(result)", sourceLocation: sourceLocation)
        return
    }
    #expect(error.status == status, "\(code)", sourceLocation: sourceLocation)
    #expect(error.code == code, sourceLocation: sourceLocation)
}

func expectParseError(
    _ input: String, _ status: HTTPStatus, _ code: String, limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectParseError(octets(input), status, code, limits: limits, sourceLocation: sourceLocation)
}

/// Expects `input` to be exactly one request and returns it.
func parseSingle(
    _ input: String, limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPRequest? {
    parseSingle(octets(input), limits: limits, sourceLocation: sourceLocation)
}

func parseSingle(
    _ input: [UInt8], limits: HTTPParserLimits = .init(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> HTTPRequest? {
    let result = parseOutcomes(input, limits: limits, sourceLocation: sourceLocation)
    guard result.count == 1, let request = result[0].request else {
        Issue.record("expected one request, got \(result)", sourceLocation: sourceLocation)
        return nil
    }
    return request
}

/// A request head with `Host` and the given extra header lines, ending with the empty line.
func requestHead(
    _ requestLine: String = "GET / HTTP/1.1", _ lines: String..., host: Bool = true
) -> String {
    var text = requestLine + "\r\n"
    if host { text += "Host: vault.example\r\n" }
    for line in lines { text += line + "\r\n" }
    return text + "\r\n"
}

