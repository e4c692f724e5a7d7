import HTTPServer
import JSON
import VaultCore

/// `/vault/v1/cards` and `/vault/v1/card-tokens`.
struct CardRoutes: Sendable {
    let vault: Vault

    @Sendable func tokenize(_ call: APICall) async throws -> HTTPResponse {
        let input = try CardInputParsing.cardInput(from: try call.body())
        // `fingerprint` and `duplicates` only when the vault gave them: to keys with the fingerprint grant.
        let render: @Sendable (TokenizedCard) -> StoredResponse = { tokenized in
            var body = Self.metadataFields(tokenized.metadata)
            if let duplicates = tokenized.duplicates {
                body.append(("duplicates", .array(duplicates.map { .string($0.rawValue) })))
            }
            return StoredResponse(status: 201, body: JSONWriter.write(.object(JSONObject(body))))
        }
        let tokenized = try await vault.tokenize(input, tenant: call.tenant, caller: call.caller, actor: call.actor,
                                                 idempotency: call.recording(render))
        return call.respond(tokenized, render)
    }

    @Sendable func metadata(_ call: APICall) async throws -> HTTPResponse {
        let token = try call.identifier("token", as: Token.self, notFound: .cardNotFound)
        let metadata = try await vault.metadata(of: token, tenant: call.tenant, caller: call.caller)
        return JSONResponse.make(.ok, .object(JSONObject(Self.metadataFields(metadata))))
    }

    /// The number leaves the vault only here. Not recorded for idempotent replay: a retry
    /// reveals again (and is audited again) rather than storing the number in a response. The body
    /// is none or a JSON empty object, exactly: whitespace alone is not JSON.
    @Sendable func reveal(_ call: APICall) async throws -> HTTPResponse {
        let token = try call.identifier("token", as: Token.self, notFound: .cardNotFound)
        guard call.request.body.isEmpty || (try? JSONParser.parse(call.request.body)) == .object([:]) else {
            throw APIError.badRequest("unexpected_body", "Reveal takes no body (or an empty JSON object).")
        }
        let card = try await vault.reveal(token, tenant: call.tenant, caller: call.caller, actor: call.actor)
        return JSONResponse.make(.ok, .object(JSONObject([
            ("number", .string(card.number.digits)),
            ("expirationDate", card.expiration.map { .string($0.yyyymm) } ?? .null),
        ])))
    }

    @Sendable func delete(_ call: APICall) async throws -> HTTPResponse {
        let token = try call.identifier("token", as: Token.self, notFound: .cardNotFound)
        try await vault.delete(token, tenant: call.tenant, actor: call.actor)
        return HTTPResponse(status: .noContent)
    }

    /// A single-use token for card data; `ttlSeconds` (60–3600, default 600) sets its lifetime.
    @Sendable func createCardToken(_ call: APICall) async throws -> HTTPResponse {
        let body = try call.body()
        let input = try CardInputParsing.cardInput(from: body, extraFields: ["ttlSeconds"], allowsCardToken: false)
        let lifetime: Int
        do { lifetime = try body.optionalInt("ttlSeconds") ?? Int(Vault.defaultCardTokenLifetime) } catch {
            throw APIError.field(error)
        }
        guard (60...3600).contains(lifetime) else {
            throw APIError.badRequest("invalid_field", "ttlSeconds must be between 60 and 3600.")
        }
        let render: @Sendable (IssuedCardToken) -> StoredResponse = { issued in
            let body = JSONObject([
                ("cardToken", .string(issued.token.rawValue)),
                ("expiresAt", timestamp(issued.expiresAt)),
                ("brand", .string(issued.brand.rawValue)),
                ("last4", .string(issued.last4)),
                ("expirationDate", issued.expiration.map { .string($0.yyyymm) } ?? .null),
            ])
            return StoredResponse(status: 201, body: JSONWriter.write(.object(body)))
        }
        let issued = try await vault.createCardToken(input, tenant: call.tenant, caller: call.caller, actor: call.actor,
                                                     lifetime: Double(lifetime), idempotency: call.recording(render))
        return call.respond(issued, render)
    }

    static func metadataFields(_ metadata: CardMetadata) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("token", .string(metadata.token.rawValue)),
            ("brand", .string(metadata.brand.rawValue)),
            ("bin", .string(metadata.bin)),
            ("last4", .string(metadata.last4)),
            ("expirationDate", metadata.expiration.map { .string($0.yyyymm) } ?? .null),
        ]
        if let fingerprint = metadata.fingerprint { fields.append(("fingerprint", .string(fingerprint))) }
        fields.append(("createdAt", timestamp(metadata.createdAt)))
        return fields
    }
}
