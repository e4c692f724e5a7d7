import Foundation
import HTTPServer
import JSON
import JSONWebToken
import Logging
import Metrics
import VaultCore
import VaultCrypto

/// The HTTP face of the vault: routes requests, authenticates API keys, checks roles, makes POSTs
/// idempotent, maps errors to stable codes, and writes one access-log line and the metrics of
/// every request. Decisions stay in `Vault`; this layer only shapes requests and responses.
public final class VaultAPI: Sendable {
    let vault: Vault
    let logger: Logger
    let metrics: APIMetrics
    let router: Router<RouteHandler>
    let ssoTokens: SSOTokens
    let rejectionLog: RejectionLog
    let cardVerifier: any CardVerifier

    /// The longest a client-sync SSO token lives unless configured: Q2's example asks for an
    /// expiration years ahead and answers a token of `exp = iat + 24 h` (docs/api/client-sync.md).
    public static let defaultSSOTokenLifetime: TimeInterval = 24 * 3600

    /// `cardVerifier`: checks cards with a processor where a dialect asks for it (Ticket
    /// Evolution); `ssoTokenLifetime`: the longest a client-sync SSO token lives.
    public init(vault: Vault, logger: Logger, metrics: MetricsRegistry, cardVerifier: any CardVerifier,
                ssoTokenLifetime: TimeInterval = VaultAPI.defaultSSOTokenLifetime) throws {
        self.vault = vault
        self.cardVerifier = cardVerifier
        self.logger = logger
        self.metrics = try APIMetrics(registry: metrics, vault: vault)
        rejectionLog = RejectionLog(logger: logger)
        ssoTokens = SSOTokens(vault: vault, clients: ClientSyncService(vault), maximumLifetime: ssoTokenLifetime)
        var router = Router<RouteHandler>()
        NativeRoutes.register(in: &router, vault: vault, metrics: self.metrics)
        TabaPayRoutes.register(in: &router, vault: vault)
        ClientSyncRoutes.register(in: &router, vault: vault, tokens: ssoTokens)
        InTandemRoutes.register(in: &router, vault: vault)
        ConnectFiRoutes.register(in: &router, vault: vault)
        TEvoRoutes.register(in: &router, vault: vault, cardVerifier: cardVerifier)
        self.router = router
    }

    /// Answers one request; never throws: every failure becomes an error response.
    public func handle(_ request: HTTPRequest, _ context: HTTPRequestContext) async -> HTTPResponse {
        let started = ContinuousClock.now
        let requestID = Self.requestID(from: request)
        var outcome = Outcome()
        var response: HTTPResponse
        do {
            response = try await dispatch(request, context, requestID: requestID, &outcome)
        } catch let refusal as AuthenticationRefusal {
            metrics.record(refusal)
            response = outcome.errors.response(refusal.error, requestID: requestID)
        } catch {
            response = outcome.errors.response(error, requestID: requestID)
            if case VaultError.rateLimited(let operation, _) = error { metrics.recordRateLimited(operation) }
        }
        response.headers.replaceOrAdd("X-Request-Id", requestID)
        // Reveals, API keys, tenant and SSO-token answers carry secrets: no response is cached.
        response.headers.replaceOrAdd("Cache-Control", "no-store")
        let elapsed = ContinuousClock.now - started
        metrics.record(method: request.method, route: outcome.route, status: response.status.rawValue, duration: elapsed)
        // Milliseconds to the microsecond: a short decimal, written without the writer's rounding pass.
        logger.log(level: .info, "request", fields: [
            ("duration_ms", .double((elapsed / .microseconds(1)).rounded() / 1000)), ("method", .string(request.method)),
            ("request_id", .string(requestID)), ("route", .string(outcome.route)),
            ("status", .int(response.status.rawValue)), ("tenant", .string(outcome.tenant?.rawValue ?? "-")),
        ])
        return response
    }

    /// Counts, and logs (rate limited), a request or connection the HTTP layer refused on its
    /// own: `HTTPServerConfiguration.rejectionObserver`. The line names the route by its
    /// template (`unmatched` when the path matches none, or was not read), never by the path.
    public func record(_ rejection: HTTPRejection) {
        metrics.record(rejection)
        rejectionLog.write(rejection, route: rejection.path.flatMap(router.template(matchingPath:)) ?? "unmatched")
    }

    /// The answer to a request the HTTP layer refused before routing, in the error envelope of
    /// the API its path belongs to (`HTTPServerConfiguration.parseErrorResponse`).
    public static func parseErrorResponse(_ error: HTTPParseError, path: String?) -> HTTPResponse {
        guard let path else { return error.response }
        if path.hasPrefix(TabaPayRoutes.pathPrefix) || path.hasPrefix(TabaPayRoutes.v2PathPrefix) {
            return TabaPayError.refusedByServer(error).response
        }
        if path.hasPrefix(InTandemRoutes.pathPrefix + "/") {
            return InTandemError(status: error.status, message: error.message).response
        }
        if path.hasPrefix(TEvoRoutes.pathPrefix + "/") {
            return TEvoError(status: error.status, code: error.code, message: error.message).response
        }
        return error.response
    }

    /// What the access log and metrics learn about a request while it is dispatched.
    struct Outcome {
        /// The route template, never the raw path (paths carry tokens).
        var route = "unmatched"
        var tenant: TenantID?
        var errors = ErrorStyle.native
    }

    private func dispatch(_ request: HTTPRequest, _ context: HTTPRequestContext, requestID: String,
                          _ outcome: inout Outcome) async throws -> HTTPResponse {
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            throw APIError(status: .notFound, code: "route_not_found", message: "No such route.")
        case .methodNotAllowed(let allowed):
            outcome.route = "method_not_allowed"
            var response = APIError(status: .methodNotAllowed, code: "method_not_allowed",
                                    message: "Use \(allowed.joined(separator: ", ")).").response
            response.headers.add("Allow", allowed.joined(separator: ", "))
            return response
        case .found(let matched, let parameters):
            outcome.route = matched.template
            outcome.errors = matched.handler.errors
            var call = APICall(request: request, parameters: parameters, source: context.remoteAddress, requestID: requestID)
            if case .everyone = matched.handler.access {} else {
                let principal = try await authenticate(request, for: matched.handler.access, actor: call.actor)
                outcome.tenant = principal.tenantID
                guard Self.allows(matched.handler.access, principal) else { throw APIError.forbidden }
                call.principal = principal
            }
            if request.method == "POST", let principal = call.principal, let key = request.headers["Idempotency-Key"] {
                let idempotency = try await idempotencyRequest(key: key, principal: principal, route: matched.template,
                                                               request: request)
                if let replayed = try Self.replayed(try await vault.idempotentResponse(for: idempotency)) {
                    return replayed
                }
                call.idempotency = idempotency
            }
            return try await run(matched.handler, call)
        }
    }

    /// Runs a handler; an idempotent POST whose first attempt raced another with the same key
    /// (the record insert conflicted) answers with the winner's response instead.
    private func run(_ handler: RouteHandler, _ call: APICall) async throws -> HTTPResponse {
        do {
            return try await handler.run(call)
        } catch VaultError.storage(let error) where call.idempotency != nil {
            // Another unique key than the record's, or no record: the failure stands.
            guard case .uniqueViolation = error,
                  let replayed = try Self.replayed(try await vault.idempotentResponse(for: call.idempotency!))
            else { throw VaultError.storage(error) }
            return replayed
        }
    }

    /// The answer to a request whose `Idempotency-Key` was seen before; nil when it was not.
    private static func replayed(_ lookup: IdempotencyLookup) throws -> HTTPResponse? {
        switch lookup {
        case .absent:
            return nil
        case .replay(let stored):
            var response = JSONResponse.make(stored)
            response.headers.add("Idempotent-Replayed", "true")
            return response
        case .mismatch:
            throw APIError(status: .unprocessableEntity, code: "idempotency_key_reused",
                           message: "This Idempotency-Key was used with a different request.")
        case .subjectDeleted:
            throw APIError.idempotentSubjectDeleted
        }
    }

    /// The caller of a request, or a refusal (`AuthenticationRefusal`, which `handle` counts by
    /// cause in the metrics and answers 401 — or 429 once the source has spent its failure
    /// budget — in the route's envelope).
    private func authenticate(_ request: HTTPRequest, for access: Access, actor: AuditActor) async throws -> Principal {
        if case .dialect(let dialect) = access { return try await dialect.authenticate(request, actor) }
        let credential = try await BearerCredential.require(request, vault: vault, actor: actor)
        if SSOTokens.looksLikeToken(credential) {
            return try await ssoTokens.authenticate(String(credential), actor: actor)
        }
        return try await vault.authenticate(apiKey: String(credential), actor: actor)
    }

    static func allows(_ access: Access, _ principal: Principal) -> Bool {
        switch access {
        case .everyone: true
        case .role(let role): principal.has(role)
        case .anyRole(let roles): roles.contains(where: principal.has)
        case .roleOrClientSession(let role):
            if case .clientSession = principal.credential { true } else { principal.has(role) }
        case .dialect: true
        }
    }

    /// The key must be 1–255 visible ASCII characters; the request is identified by its route,
    /// path (with the business an inTandem directory key acts for) and body, so a retry must
    /// repeat them exactly, with the same credential.
    private func idempotencyRequest(key: String, principal: Principal, route: String,
                                    request: HTTPRequest) async throws -> IdempotencyRequest {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError.badRequest("invalid_idempotency_key", "Idempotency-Key must be 1–255 visible ASCII characters.")
        }
        let onBehalfOf = request.headers.values(for: InTandemRoutes.onBehalfOfHeader)
        let path = onBehalfOf.isEmpty ? request.path : ([request.path] + onBehalfOf).joined(separator: "\n")
        return try await vault.idempotencyRequest(key: key, principal: principal, method: request.method, route: route,
                                                  path: path, body: request.body)
    }

    /// The caller's `X-Request-Id` when it is plain, else a new random one. Plain is 1–64 of
    /// `[A-Za-z0-9._-]` with no 12 digits in a row, even across `.`, `_` and `-`: the id is
    /// echoed, logged and stored in audit entries, so it must never be able to carry a card number.
    static func requestID(from request: HTTPRequest) -> String {
        if var given = request.headers["X-Request-Id"], given.withUTF8({ bytes in
            var digitsInRow = 0
            return (1...64).contains(bytes.count) && bytes.allSatisfy { byte in
                if byte &- UInt8(ascii: "0") < 10 {
                    digitsInRow += 1
                    return digitsInRow < 12
                }
                if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") { return true }
                digitsInRow = 0
                return Base64URL.isAlphabetByte(byte)
            }
        }) {
            return given
        }
        return IdentifierFormat.random()
    }
}
