import JSON

/// The claims of a JSON Web Token (RFC 7519 §4): the registered ones typed, every other one kept
/// as JSON in `additional`.
///
/// Dates are NumericDates in whole seconds since 1970-01-01T00:00:00Z, exactly as on the wire:
/// the verifier refuses fractions and exponents, so no value is ever rounded.
public struct JWTClaims: Sendable, Equatable {
    /// The registered claim names, which live in the typed properties and never in `additional`.
    public static let registeredNames: Set<String> = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"]

    /// `iss`: who issued the token.
    public var issuer: String?
    /// `sub`: whom the token is about (for SSO, the client id).
    public var subject: String?
    /// `aud`: the recipients the token is meant for, at least one (no audience is `nil`). Written
    /// as a single string when there is one.
    public var audience: [String]?
    /// `exp`: the token is refused at and after this second.
    public var expiresAt: Int?
    /// `nbf`: the token is refused before this second.
    public var notBefore: Int?
    /// `iat`: when the token was issued; a time in the future is refused like `nbf`.
    public var issuedAt: Int?
    /// `jti`: a unique identifier, for callers that keep a replay list.
    public var id: String?
    /// Every other claim (e.g. `nonce`), in order. Registered names belong in the typed properties:
    /// `HS256.sign` traps on one here, rather than guess which of two values was meant.
    public var additional: JSONObject

    public init(
        issuer: String? = nil, subject: String? = nil, audience: [String]? = nil, expiresAt: Int? = nil,
        notBefore: Int? = nil, issuedAt: Int? = nil, id: String? = nil, additional: JSONObject = JSONObject()
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.id = id
        self.additional = additional
    }
}

extension JWTClaims {
    /// Reads a payload object. Registered claims must have their RFC 7519 types (a JSON `null` is
    /// not a value of any of them); everything else goes to `additional` untouched.
    init(parsing payload: JSONObject) throws(JWTError) {
        self.init()
        for (name, value) in payload {
            switch name {
            case "iss": issuer = try Self.string(value, name)
            case "sub": subject = try Self.string(value, name)
            case "aud": audience = try Self.audience(value)
            case "exp": expiresAt = try Self.numericDate(value, name)
            case "nbf": notBefore = try Self.numericDate(value, name)
            case "iat": issuedAt = try Self.numericDate(value, name)
            case "jti": id = try Self.string(value, name)
            default: additional[name] = value
            }
        }
    }

    /// The payload: registered claims in RFC 7519 order, then `additional` in its order.
    var payload: JSONObject {
        precondition(additional.keys.allSatisfy { !Self.registeredNames.contains($0) },
                     "registered claims must be set through JWTClaims' typed properties, not `additional`")
        precondition(audience?.isEmpty != true, "an empty audience list is refused by verifiers: use nil")
        var payload = JSONObject()
        payload["iss"] = issuer.map(JSONValue.string)
        payload["sub"] = subject.map(JSONValue.string)
        payload["aud"] = audience.map { $0.count == 1 ? .string($0[0]) : .array($0.map(JSONValue.string)) }
        payload["exp"] = expiresAt.map { .number(JSONNumber($0)) }
        payload["nbf"] = notBefore.map { .number(JSONNumber($0)) }
        payload["iat"] = issuedAt.map { .number(JSONNumber($0)) }
        payload["jti"] = id.map(JSONValue.string)
        for (name, value) in additional { payload[name] = value }
        return payload
    }

    private static func string(_ value: JSONValue, _ name: String) throws(JWTError) -> String {
        guard let string = value.stringValue else { throw .invalidClaim(name) }
        return string
    }

    /// Whole seconds written as a JSON integer: `1300819380`, not `1300819380.0`, `1.3e9` or `"1300819380"`.
    private static func numericDate(_ value: JSONValue, _ name: String) throws(JWTError) -> Int {
        guard let seconds = value.intValue else { throw .invalidClaim(name) }
        return seconds
    }

    /// A string, or a non-empty array of strings (RFC 7519 §4.1.3).
    private static func audience(_ value: JSONValue) throws(JWTError) -> [String] {
        switch value {
        case .string(let audience):
            return [audience]
        case .array(let elements) where !elements.isEmpty:
            let audiences = elements.compactMap(\.stringValue)
            guard audiences.count == elements.count else { throw .invalidClaim("aud") }
            return audiences
        default:
            throw .invalidClaim("aud")
        }
    }
}
