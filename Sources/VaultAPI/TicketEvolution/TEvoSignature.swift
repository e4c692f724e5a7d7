import Foundation
import HTTPServer
import VaultCrypto

/// Ticket Evolution's request signature, `X-Signature`: Base64(HMAC-SHA256(secret,
/// "<METHOD> <host><path>?<rest>")), where `<rest>` is the query string, sorted by key, for GET
/// and the raw body for POST, PUT and DELETE; the `?` is always there (TEvo's "Signing requests
/// with X-Signature"; `docs/api/ticketevolution.md`, "Authentication").
///
/// The string to sign is built from what the client sent — its `Host` field, the path and query
/// as they appear in the request target (not decoded), the exact body bytes — so any byte the
/// client changes after signing is noticed. What the signature would not cover is refused rather
/// than ignored: a query on POST, PUT or DELETE, a body on GET. An unsorted query is refused, not
/// re-sorted, as TEvo does.
struct TEvoSignature {
    /// `<METHOD> <host><path>?<rest>`, the bytes the client signed.
    let stringToSign: [UInt8]

    init(method: String, host: String?, path: String, query: String?, body: [UInt8]) throws(TEvoSignatureError) {
        guard let host, !host.isEmpty else { throw .missingHost }
        let query = query ?? ""
        let rest: [UInt8]
        switch method {
        case "GET":
            guard body.isEmpty else { throw .unsignedBody }
            guard Self.isSortedByKey(query) else { throw .unsortedQuery }
            rest = Array(query.utf8)
        case "POST", "PUT", "DELETE":
            guard query.isEmpty else { throw .unsignedQuery }
            rest = body
        default:
            throw .unsupportedMethod
        }
        stringToSign = Array("\(method) \(host)\(path)?".utf8) + rest
    }

    /// The string to sign for a request as the server received it.
    init(_ request: HTTPRequest) throws(TEvoSignatureError) {
        try self.init(method: request.method, host: request.headers["Host"], path: request.path, query: request.query,
                      body: request.body)
    }

    /// The signature under `secret`: padded standard Base64, as TEvo's examples print it.
    func signature(secret: SecretBytes) -> String {
        Data(HMACSHA256.authenticationCode(for: stringToSign, using: secret)).base64EncodedString()
    }

    /// Whether `presented` is exactly `signature(secret:)`, compared in constant time. Only the
    /// one padded Base64 form is accepted.
    func isValid(_ presented: String, secret: SecretBytes) -> Bool {
        constantTimeEquals(presented.utf8, signature(secret: secret).utf8)
    }

    /// Whether each `&`-separated pair's key (the text before its first `=`) is at or after the
    /// previous pair's, byte by byte as sent (percent-encoded). Repeated keys keep their order.
    private static func isSortedByKey(_ query: String) -> Bool {
        let keys = query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false).map { pair in
            pair.prefix { $0 != UInt8(ascii: "=") }
        }
        return zip(keys, keys.dropFirst()).allSatisfy { previous, key in !key.lexicographicallyPrecedes(previous) }
    }
}

/// Why a request's string to sign could not be built; the request is refused with 401.
enum TEvoSignatureError: Error, Equatable {
    /// Not GET, POST, PUT or DELETE.
    case unsupportedMethod
    /// No `Host` field to sign over.
    case missingHost
    /// A GET whose query keys are not in order.
    case unsortedQuery
    /// A query on POST, PUT or DELETE, whose signature covers the body instead.
    case unsignedQuery
    /// A body on GET, whose signature covers the query instead.
    case unsignedBody

    var code: String {
        switch self {
        case .unsupportedMethod: "unsupported_method"
        case .missingHost: "missing_host"
        case .unsortedQuery: "unsorted_query"
        case .unsignedQuery: "unsigned_query"
        case .unsignedBody: "unsigned_body"
        }
    }
}
