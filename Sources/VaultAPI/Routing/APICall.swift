import HTTPServer
import JSON
import VaultCore

/// One authenticated, routed request as a handler sees it.
struct APICall: Sendable {
    var request: HTTPRequest
    var parameters: [String: String]
    /// The peer's IP address and the request's ID, which every audit entry of the call carries.
    var source: String
    var requestID: String
    /// Nil only on public routes.
    var principal: Principal?
    /// Present when a POST carried an `Idempotency-Key` that has not been seen before.
    var idempotency: IdempotencyRequest?

    /// The authenticated caller and its tenant; handlers of authenticated routes only.
    var caller: Principal { principal! }
    var tenant: TenantID { caller.tenantID }
    var actor: AuditActor {
        AuditActor(name: principal?.actorName ?? "anonymous", source: source, requestID: requestID)
    }

    /// Refuses a client session for any client but its own; API keys pass (their role was checked).
    func requireAccess(to client: SyncClientID) throws {
        if case .clientSession(let own, _) = principal?.credential, own != client { throw APIError.forbidden }
    }

    /// The body as a JSON object.
    func body() throws -> JSONReader {
        let value: JSONValue
        do { value = try JSONParser.parse(request.body) } catch { throw APIError.invalidJSON(error) }
        do { return try JSONReader.object(value) } catch { throw APIError.field(error) }
    }

    /// The body as a JSON object; anything else throws `malformed`, a dialect's own "not JSON" error.
    func body<Failure: Error>(orThrow malformed: Failure) throws(Failure) -> JSONReader {
        guard case .object(let object)? = try? JSONParser.parse(request.body) else { throw malformed }
        return JSONReader(object)
    }

    /// A path parameter that must be a 22-character identifier; anything else cannot exist.
    func identifier<ID: RandomIdentifier>(_ name: String, as type: ID.Type, notFound: VaultError) throws -> ID {
        guard let value = parameters[name], let id = ID(validating: value) else { throw notFound }
        return id
    }

    /// The first value of a query parameter (`a=b&c`), not percent-decoded; `""` for a bare name.
    func query(_ name: String) -> String? {
        guard let query = request.query else { return nil }
        for item in query.split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts[0] == name { return parts.count > 1 ? String(parts[1]) : "" }
        }
        return nil
    }

    /// Answers with `render(result)`, which is also what an idempotent retry replays.
    func respond<Result>(_ result: Result, _ render: (Result) -> StoredResponse) -> HTTPResponse {
        JSONResponse.make(render(result))
    }

    /// What the vault records for a retry of this call, if it carried an idempotency key.
    func recording<Result>(_ render: @escaping @Sendable (Result) -> StoredResponse) -> IdempotencyRecording<Result>? {
        idempotency.map { IdempotencyRecording($0, render: render) }
    }
}

/// Who may call a route.
enum Access: Sendable {
    case everyone
    case role(Role)
    /// Any of these roles (`Principal.has`: admin holds every role within its tenant).
    case anyRole([Role])
    /// The role, or an SSO session of a sync client; the handler checks the client with
    /// `APICall.requireAccess(to:)`.
    case roleOrClientSession(Role)
    /// A dialect's own credential instead of `Authorization: Bearer` (connectFi's session token,
    /// Ticket Evolution's signed `X-Token`): whoever it answers may call the route.
    case dialect(DialectAuthentication)
}

/// How a dialect with its own credential headers authenticates a request: it answers the caller,
/// or throws the refusal (counted against the source, as a bad bearer credential is).
struct DialectAuthentication: Sendable {
    var authenticate: @Sendable (HTTPRequest, AuditActor) async throws -> Principal
}

struct RouteHandler: Sendable {
    var access: Access
    /// How the route's failures are answered: the native envelope unless a dialect has its own.
    var errors = ErrorStyle.native
    var run: @Sendable (APICall) async throws -> HTTPResponse
}
