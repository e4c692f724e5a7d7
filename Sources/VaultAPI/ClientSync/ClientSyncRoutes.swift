import Foundation
import HTTPServer
import JSON
import VaultCore

/// Q2-style client sync (`/v1/client…`, `/v1/payment…`): clients known by the caller's
/// identifier, their payment methods held in the vault by token, and SSO tokens that open one
/// client's routes. Errors use the native envelope. See docs/api/client-sync.md.
struct ClientSyncRoutes: Sendable {
    let vault: Vault
    let tokens: SSOTokens

    static func register(in router: inout Router<RouteHandler>, vault: Vault, tokens: SSOTokens) {
        let routes = ClientSyncRoutes(vault: vault, tokens: tokens)
        router.add("POST", "/v1/client", RouteHandler(access: .role(.sync), run: routes.createClient))
        router.add("POST", "/v1/client/create-token", RouteHandler(access: .role(.sync), run: routes.createToken))
        router.add("POST", "/v1/client/sync", RouteHandler(access: .role(.sync), run: routes.sync))
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
        let result = try await vault.syncClient(client, paymentMethods: [], tenant: call.tenant, caller: call.caller,
                                                actor: call.actor, idempotency: call.recording(render))
        return call.respond(result, render)
    }

    /// `{identifier, nonce?, expiration?, accessTokenExpiresIn?}` → `{token}` for an existing client.
    @Sendable func createToken(_ call: APICall) async throws -> HTTPResponse {
        let (identifier, options) = try Self.fields {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["identifier", "nonce", "expiration", "accessTokenExpiresIn"])
            return (try body.string("identifier"), try ClientSyncRequest.tokenOptions(body))
        }
        let client = try await vault.syncClient(identifier: identifier, tenant: call.tenant)
        let token = try await tokens.issuer(for: call.tenant, options).token(for: client)
        return JSONResponse.make(.ok, ["token": .string(token)])
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
        let result = try await vault.syncClient(client, paymentMethods: methods, tenant: call.tenant, caller: call.caller,
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
        let result = try await vault.addPaymentMethod(method, client: client, tenant: call.tenant, caller: call.caller,
                                                      actor: call.actor, idempotency: call.recording(render))
        return call.respond(result, render)
    }

    /// `{data: [{_id, type, identifier, status, default, name, card | bank}]}`; numbers masked.
    @Sendable func paymentMethods(_ call: APICall) async throws -> HTTPResponse {
        guard let client = SyncClientID(validating: call.parameters["clientId"] ?? "") else {
            throw VaultError.syncClientNotFound
        }
        try call.requireAccess(to: client)
        let methods = try await vault.paymentMethods(of: client, tenant: call.tenant)
        return JSONResponse.make(.ok, ["data": .array(methods.map(Self.json))])
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

    private static func json(_ method: PaymentMethodDetails) -> JSONValue {
        let details = (try? JSONParser.parse(method.details))?.objectValue ?? JSONObject()
        var fields: [(String, JSONValue)] = [
            ("_id", .string(method.id.rawValue)),
            ("type", .string(method.bank == nil ? "card" : "bank")),
            ("identifier", method.identifier.map { .string($0) } ?? .null),
            ("status", .string(method.card != nil || method.bank != nil ? "active" : "deleted")),
            ("default", .bool(method.isDefault)),
            ("name", details["name"] ?? .null),
            ("customLabel", details["customLabel"] ?? .null),
        ]
        if let card = method.card {
            fields.append(("card", .object(JSONObject([
                ("number", .string("XXXX" + card.last4)),
                ("brand", .string(ClientSyncRequest.brandName(card.brand))),
                ("type", details["cardType"] ?? .null),
                ("expDate", card.expiration.map { .string("\($0.month < 10 ? "0" : "")\($0.month)/\($0.year)") } ?? .null),
            ]))))
        }
        if let bank = method.bank {
            fields.append(("bank", .object(JSONObject([
                ("accountNumber", .string("XXXX" + bank.last4)), ("routingNumber", .string(bank.routingNumber)),
                ("accountType", .string(bank.accountType == .savings ? "savings" : "checking")),
            ]))))
        }
        return .object(JSONObject(fields))
    }

    /// Field errors as the native API's `400`s.
    private static func fields<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as JSONFieldError { throw APIError.field(error) }
    }
}
