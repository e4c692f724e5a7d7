import Foundation
import HTTPServer
import JSON
import VaultCore

/// Q2-style client sync (`/v1/client…`, `/v1/payment…`): clients known by the caller's
/// identifier, their payment methods held in the vault by token, and SSO tokens that open one
/// client's routes. Errors use the native envelope. See docs/api/client-sync.md.
struct ClientSyncRoutes: Sendable {
    let vault: Vault
    let clients: ClientSyncService
    let tokens: SSOTokens

    static func register(in router: inout Router<RouteHandler>, vault: Vault, tokens: SSOTokens) {
        let routes = ClientSyncRoutes(vault: vault, clients: tokens.clients, tokens: tokens)
        router.add("POST", "/v1/client", RouteHandler(access: .role(.sync), run: routes.createClient))
        router.add("POST", "/v1/client/create-token", RouteHandler(access: .role(.sync), run: routes.createToken))
        router.add("POST", "/v1/client/sync", RouteHandler(access: .role(.sync), run: routes.sync))
        router.add("POST", "/v1/client/access-token", RouteHandler(access: .everyone, run: routes.exchangeToken))
        router.add("POST", "/v1/payment", RouteHandler(access: .roleOrClientSession(.sync), run: routes.addPaymentMethod))
        router.add("GET", "/v1/payment/list/{clientId}",
                   RouteHandler(access: .roleOrClientSession(.sync), run: routes.paymentMethods))
    }

    /// `{identifier, meta}` → `{clientId}`; an identifier already known returns its client (meta updated).
    @Sendable func createClient(_ call: APICall) async throws -> HTTPResponse {
        let client = try Self.fields { try ClientSyncRequest.client(try call.body()) }
        let render: @Sendable (ClientSyncResult) -> StoredResponse = { result in
            StoredResponse(status: 200, body: JSONWriter.write(["clientId": .string(result.clientID.rawValue)]))
        }
        let result = try await clients.syncClient(client, paymentMethods: [], tenant: call.tenant, caller: call.caller,
                                                actor: call.actor, idempotency: call.recording(render))
        return call.respond(result, render)
    }

    /// `{identifier, nonce?, expiration?, accessTokenExpiresIn?}` → `{token}`. An identifier not
    /// seen before gets its client, as Q2 links a token's actions to the client of its identifier.
    @Sendable func createToken(_ call: APICall) async throws -> HTTPResponse {
        let (identifier, options) = try Self.fields {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["identifier", "nonce", "expiration", "accessTokenExpiresIn"])
            return (try ClientSyncRequest.clientIdentifier(body), try ClientSyncRequest.tokenOptions(body))
        }
        let issuer = try await tokens.issuer(for: call.tenant, options)
        let client = try await clients.syncClient(identifier: identifier, tenant: call.tenant, caller: call.caller,
                                                actor: call.actor)
        return JSONResponse.make(.ok, ["token": .string(issuer.token(for: client))])
    }

    /// `Authorization: Bearer <SSO token>` → `{accessToken, tokenType, expiresIn, clientId}`: what a
    /// white-label front end does with the token it was handed (docs/api/client-sync.md).
    @Sendable func exchangeToken(_ call: APICall) async throws -> HTTPResponse {
        let ssoToken = try await BearerCredential.require(call.request, vault: vault, actor: call.actor)
        let access = try await tokens.exchange(String(ssoToken), actor: call.actor)
        return JSONResponse.make(.ok, .object(JSONObject([
            ("accessToken", .string(access.token)), ("tokenType", .string("Bearer")), ("expiresIn", .number(JSONNumber(access.lifetime))),
            ("clientId", .string(access.client.rawValue)),
        ])))
    }

    /// `{client, token, cards}` → `{clientId, ssoToken, cards: [{paymentMethodId, identifier}]}`,
    /// the client and every card in one transaction. The SSO token is signed in that transaction
    /// too, so an idempotent retry replays the whole first response, token included.
    @Sendable func sync(_ call: APICall) async throws -> HTTPResponse {
        let (client, options, methods) = try Self.fields {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["client", "token", "cards"])
            let options = try body.optionalObject("token").map(ClientSyncRequest.tokenOptions) ?? SSOTokens.Options()
            let methods = try (body.optionalObjectArray("cards") ?? []).map { try ClientSyncRequest.paymentMethod($0) }
            guard methods.count <= 50 else { throw body.invalid("cards", reason: "must hold at most 50 cards") }
            return (try ClientSyncRequest.client(try body.object("client")), options, methods)
        }
        let issuer = try await tokens.issuer(for: call.tenant, options)
        let render: @Sendable (ClientSyncResult) -> StoredResponse = { result in
            StoredResponse(status: 200, body: JSONWriter.write(.object(JSONObject([
                ("clientId", .string(result.clientID.rawValue)), ("ssoToken", .string(issuer.token(for: result.clientID))),
                ("cards", Self.methodList(result)),
            ]))))
        }
        let result = try await clients.syncClient(client, paymentMethods: methods, tenant: call.tenant, caller: call.caller,
                                                actor: call.actor, idempotency: call.recording(render))
        return call.respond(result, render)
    }

    /// `{clientId, paymentType, …}` → `{paymentMethodId}`. An SSO session may add to its own client only.
    @Sendable func addPaymentMethod(_ call: APICall) async throws -> HTTPResponse {
        let (client, method) = try Self.fields {
            let body = try call.body()
            guard let client = SyncClientID(validating: try body.string("clientId")) else { throw VaultError.syncClientNotFound }
            return (client, try ClientSyncRequest.paymentMethod(body, extraFields: ["clientId"]))
        }
        try call.requireAccess(to: client)
        let render: @Sendable (ClientSyncResult) -> StoredResponse = { result in
            StoredResponse(status: 200, body: JSONWriter.write(["paymentMethodId": .string(result.paymentMethods[0].id.rawValue)]))
        }
        let result = try await clients.addPaymentMethod(method, client: client, tenant: call.tenant, caller: call.caller,
                                                      actor: call.actor, idempotency: call.recording(render))
        return call.respond(result, render)
    }

    /// `{data: [{_id, type, identifier, status, default, name, customLabel, card | bank}]}`; numbers masked.
    @Sendable func paymentMethods(_ call: APICall) async throws -> HTTPResponse {
        guard let client = SyncClientID(validating: call.parameters["clientId"] ?? "") else {
            throw VaultError.syncClientNotFound
        }
        try call.requireAccess(to: client)
        let methods = try await clients.paymentMethods(of: client, tenant: call.tenant)
        return JSONResponse.make(.ok, ["data": .array(methods.map(json))])
    }

    // MARK: Shapes

    private static func methodList(_ result: ClientSyncResult) -> JSONValue {
        .array(result.paymentMethods.map { method in
            .object(JSONObject([
                ("paymentMethodId", .string(method.id.rawValue)),
                ("identifier", method.identifier.map { .string($0) } ?? .null),
            ]))
        })
    }

    /// Q2's shape: `status` `verified` while the vault holds a usable instrument, `declined` once
    /// the card expired or the card or account was deleted through another API; `expDate` the
    /// first of the expiry month at noon UTC, as Q2's example; routing and account numbers masked.
    private func json(_ method: PaymentMethodDetails) -> JSONValue {
        let details = (try? JSONParser.parse(method.details))?.objectValue ?? JSONObject()
        let usable = switch method.kind {
        case .card: method.card.map { !($0.expiration?.isExpired(at: vault.now) ?? false) } ?? false
        case .bank: method.bank != nil
        }
        var fields: [(String, JSONValue)] = [
            ("_id", .string(method.id.rawValue)),
            ("type", .string(method.kind.rawValue)),
            ("identifier", method.identifier.map { .string($0) } ?? .null),
            ("status", .string(usable ? "verified" : "declined")),
            ("default", .bool(method.isDefault)),
            ("name", details["name"] ?? .null),
            ("customLabel", details["customLabel"] ?? .null),
        ]
        if let card = method.card {
            fields.append(("card", .object(JSONObject([
                ("number", .string("XXXX" + card.last4)),
                ("brand", .string(ClientSyncRequest.brandName(card.brand))),
                ("type", details["cardType"] ?? .null),
                ("expDate", card.expiration.map { .string(Self.isoDate($0)) } ?? .null),
            ]))))
        }
        if let bank = method.bank {
            fields.append(("bank", .object(JSONObject([
                ("routing", .string("XXXX" + bank.routingNumber.suffix(4))), ("account", .string("XXXX" + bank.last4)),
                ("type", .string(bank.accountType == .savings ? "savings" : "checking")),
            ]))))
        }
        return .object(JSONObject(fields))
    }

    /// `2040-02-01T12:00:00.000Z` for February 2040.
    private static func isoDate(_ expiration: ExpirationDate) -> String {
        let month = expiration.month < 10 ? "0\(expiration.month)" : "\(expiration.month)"
        return "\(expiration.yyyymm.prefix(4))-\(month)-01T12:00:00.000Z"
    }

    /// Field errors as the native API's `400`s.
    private static func fields<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as JSONFieldError { throw APIError.field(error) }
    }
}
