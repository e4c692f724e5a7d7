import HTTPServer

/// Serializes a request as HTTP/1.1 bytes, refusing what the server's parser would refuse:
/// a method or header name that is not a token, a header value with a control byte (CR, LF).
enum RequestWriter {
    /// Fields the client frames itself; a caller's values for them are replaced.
    private static let framingFields = ["Host", "Content-Length", "Transfer-Encoding", "Connection"]

    static func serialize(_ request: HTTPClientRequest, to endpoint: Endpoint) throws(HTTPClientError) -> [UInt8] {
        let classes = ByteClass.table
        guard !request.method.isEmpty, request.method.utf8.allSatisfy({ classes[Int($0)] & ByteClass.token != 0 }) else {
            throw .invalidRequest("the method is not a token")
        }
        var headers = request.headers
        for name in framingFields { headers.remove(name) }
        var out: [UInt8] = []
        out.reserveCapacity(256 + request.body.count)
        out += "\(request.method) \(endpoint.target) HTTP/1.1\r\nHost: \(endpoint.hostField)\r\n".utf8
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy({ classes[Int($0)] & ByteClass.token != 0 }) else {
                throw .invalidRequest("a header name is not a token")
            }
            guard value.utf8.allSatisfy({ classes[Int($0)] & ByteClass.fieldValue != 0 }) else {
                throw .invalidRequest("the value of header '\(name)' holds a control character")
            }
            out += "\(name): \(value)\r\n".utf8
        }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            out += "Content-Length: \(request.body.count)\r\n".utf8
        }
        out += "Connection: close\r\n\r\n".utf8
        out += request.body
        return out
    }
}
