/// A response to serialize onto a connection.
///
/// Always framed by `Content-Length` (never chunked): bodies are built in memory, and one
/// framing on the way out means one less thing for a client or proxy to disagree about.
/// Serialization is deterministic — no `Date`, headers in the order given — so responses can
/// be compared byte for byte in tests. `description` shows status and sizes only: bodies may
/// carry card data.
public struct HTTPResponse: Sendable, Hashable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `HTTP/1.1 100 Continue` and the empty line: the interim response that invites the body
    /// of an `Expect: 100-continue` request.
    public static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// The bytes to write: `HTTP/1.1 <code> <reason>`, the given headers in order, then
    /// `Content-Length`, then `Connection: close` when `closing`, the empty line and the body.
    ///
    /// - The serializer owns framing: given `Content-Length` and `Transfer-Encoding` fields are
    ///   dropped, and so is a given `Connection` field when `closing` (it writes its own).
    /// - 1xx, 204 and 304 responses get neither `Content-Length` nor a body (RFC 9110 §8.6).
    /// - `headRequest`: answer to HEAD — `Content-Length` of the body, but no body bytes.
    /// - Response splitting is impossible: a field whose name is not a token is dropped, and
    ///   CR, LF, NUL and other control bytes (except HTAB) are stripped from values, as is
    ///   leading and trailing whitespace.
    public func serialized(closing: Bool, headRequest: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 32 + body.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        out.append(contentsOf: String(status.rawValue).utf8)
        out.append(ASCII.space)
        out.append(contentsOf: status.reasonPhrase.utf8)
        out.append(contentsOf: [ASCII.cr, ASCII.lf])

        let classes = ByteClass.table
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy({ classes[Int($0)] & ByteClass.token != 0 }) else {
                continue
            }
            if HTTPHeaders.namesEqual(name, "Content-Length")
                || HTTPHeaders.namesEqual(name, "Transfer-Encoding")
                || (closing && HTTPHeaders.namesEqual(name, "Connection"))
            {
                continue
            }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [ASCII.colon, ASCII.space])
            Self.appendSanitized(value, to: &out, classes: classes)
            out.append(contentsOf: [ASCII.cr, ASCII.lf])
        }

        let hasContent = !status.forbidsContent
        if hasContent {
            out.append(contentsOf: "Content-Length: ".utf8)
            out.append(contentsOf: String(body.count).utf8)
            out.append(contentsOf: [ASCII.cr, ASCII.lf])
        }
        if closing {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        }
        out.append(contentsOf: [ASCII.cr, ASCII.lf])
        if hasContent && !headRequest {
            out.append(contentsOf: body)
        }
        return out
    }

    private static func appendSanitized(_ value: String, to out: inout [UInt8], classes: [UInt8]) {
        let start = out.count
        for byte in value.utf8 where classes[Int(byte)] & ByteClass.fieldValue != 0 {
            if out.count == start && ASCII.isWhitespace(byte) { continue }
            out.append(byte)
        }
        while out.count > start, ASCII.isWhitespace(out[out.count - 1]) {
            out.removeLast()
        }
    }
}

extension HTTPResponse: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "\(status) (\(headers.count) header fields, \(body.count) body bytes)"
    }

    public var debugDescription: String { "HTTPResponse(\(description))" }

    public var customMirror: Mirror {
        Mirror(
            self, children: ["status": status, "headers": headers, "bodyCount": body.count],
            displayStyle: .struct)
    }
}
