/// The responses the connection layer writes on its own, before closing: parse errors and 408.
/// Their bodies are `HTTPParseError.response`'s envelope; codes and messages are fixed text
/// (never request bytes), so an error response cannot reflect attacker input or card data.
enum ErrorResponses {
    static let requestTimeout = bytes(for: HTTPParseError(
        status: .requestTimeout, code: "request_timeout", message: "The request was not received in time."))

    static func bytes(for error: HTTPParseError) -> [UInt8] {
        error.response.serialized(closing: true)
    }
}
