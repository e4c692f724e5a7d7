/// The responses the connection layer writes on its own, before closing: parse errors and 408.
///
/// Body: `{"error":{"code":"<code>","message":"<message>"}}` with `Content-Type:
/// application/json` and `Connection: close`. Codes and messages are fixed text (never request
/// bytes), so an error response cannot reflect attacker input or card data.
enum ErrorResponses {
    static let requestTimeout = serialized(
        status: .requestTimeout, code: "request_timeout",
        message: "The request was not received in time.")

    static func bytes(for error: HTTPParseError) -> [UInt8] {
        serialized(status: error.status, code: error.code, message: error.message)
    }

    static func serialized(status: HTTPStatus, code: String, message: String) -> [UInt8] {
        var json = Array(#"{"error":{"code":""#.utf8)
        appendJSONEscaped(code, to: &json)
        json.append(contentsOf: #"","message":""#.utf8)
        appendJSONEscaped(message, to: &json)
        json.append(contentsOf: #""}}"#.utf8)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: json)
            .serialized(closing: true)
    }

    private static func appendJSONEscaped(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
    }
}
