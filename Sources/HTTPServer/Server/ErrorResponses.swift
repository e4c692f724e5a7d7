/// The 408 the connection layer writes on its own before closing, in `HTTPParseError.response`'s
/// envelope (parse errors go through `HTTPServerConfiguration.parseErrorResponse`). Fixed text,
/// never request bytes, so it cannot reflect attacker input or card data.
enum ErrorResponses {
    static let requestTimeout = HTTPParseError(
        status: .requestTimeout, code: "request_timeout", message: "The request was not received in time.")
        .response.serialized(closing: true)
}
