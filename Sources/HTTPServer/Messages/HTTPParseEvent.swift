/// What the parser has to report once enough bytes have arrived.
///
/// An event stream rather than "a request or nothing", because `Expect: 100-continue` needs a
/// decision between the head and the body. Parse errors are thrown, not returned: every one of
/// them ends the connection.
public enum HTTPParseEvent: Sendable, Hashable {
    /// The head is complete, carries `Expect: 100-continue` (HTTP/1.1) and announces a body
    /// that has not been parsed yet. The connection layer should write
    /// ``HTTPResponse/continueBytes`` — or reject early with a final response and close — and
    /// then keep calling `next()` for the ``request(_:)`` event. Emitted at most once per
    /// request, always before its `.request`, even if the body bytes are already buffered.
    case expectsContinue(HTTPRequestHead)
    /// A complete request; its bytes have been consumed from the parser's buffer.
    case request(HTTPRequest)
}
