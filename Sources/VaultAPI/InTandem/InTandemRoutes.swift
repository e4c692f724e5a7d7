import HTTPServer
import JSON
import VaultCore

/// The inTandem (vcita) platform dialect: payment settings, clients, and cards synced from an
/// external gateway under `/platform/v1`, answered in the platform's `{status, data | error}`
/// envelope. Every route takes a staff key; the key's tenant is the business, unless a directory
/// key names one of its businesses in `x-on-behalf-of`. See docs/api/intandem.md.
struct InTandemRoutes: Sendable {
    let platform: PlatformService

    static let pathPrefix = "/platform/v1"

    static func register(in router: inout Router<RouteHandler>, vault: Vault) {
        let routes = InTandemRoutes(platform: PlatformService(vault))
        func add(_ method: String, _ path: String, _ run: @escaping @Sendable (APICall) async throws -> HTTPResponse) {
            router.add(method, pathPrefix + path, RouteHandler(access: .role(.staff), errors: InTandemError.style, run: run))
        }
        add("POST", "/payment/settings", routes.updateSettings)
        add("GET", "/payment/settings", routes.settings)
        add("POST", "/clients", routes.createClient)
        add("GET", "/clients/{client_id}/payment/cards", routes.cards)
        add("POST", "/payment/cards/sync_card", routes.syncCard)
        add("DELETE", "/payment/cards/{card_id}", routes.deleteCard)
    }

    /// The tenant a call acts in: the one `x-on-behalf-of` names when a directory key sends it
    /// (any other key sending it is refused, never ignored), else the key's own.
    private func business(_ call: APICall) async throws -> TenantID {
        let named = call.request.headers.values(for: Self.onBehalfOfHeader)
        guard !named.isEmpty else { return call.tenant }
        guard named.count == 1 else { throw VaultError.platform(.businessNotInDirectory) }
        return try await platform.business(named[0], actedForBy: call.caller)
    }

    static let onBehalfOfHeader = "x-on-behalf-of"

    @Sendable func updateSettings(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await business(call)
        let update = try InTandemRequests.settings(try call.body(orThrow: InTandemError.malformedJSON))
        let settings = try await platform.updatePaymentSettings(update, tenant: tenant, actor: call.actor)
        return JSONResponse.make(.ok, Self.success([("payment_settings", Self.settings(settings))]))
    }

    @Sendable func settings(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await business(call)
        let settings = try await platform.paymentSettings(tenant: tenant)
        return JSONResponse.make(.ok, Self.success([("payment_settings", Self.settings(settings))]))
    }

    @Sendable func createClient(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await business(call)
        let profile = try InTandemRequests.clientProfile(try call.body(orThrow: InTandemError.malformedJSON))
        let render: @Sendable (PlatformClient) -> StoredResponse = { client in
            let fields = [("id", JSONValue.string(client.id.rawValue))] + profile + [("created_at", timestamp(client.createdAt))]
            return Self.stored(.created, [("client", .object(JSONObject(fields)))])
        }
        let client = try await platform.createPlatformClient(profile: JSONWriter.write(.object(JSONObject(profile))),
                                                          tenant: tenant, idempotency: call.recording(render))
        return call.respond(client, render)
    }

    @Sendable func syncCard(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await business(call)
        let new = try InTandemRequests.syncCard(try call.body(orThrow: InTandemError.malformedJSON))
        let render: @Sendable (GatewayCard) -> StoredResponse = { card in Self.stored(.created, [("card", Self.card(card))]) }
        let card = try await platform.syncGatewayCard(new, tenant: tenant, staff: call.caller, actor: call.actor,
                                                   idempotency: call.recording(render))
        return call.respond(card, render)
    }

    @Sendable func cards(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await business(call)
        let page = try InTandemRequests.page(number: call.query("page"), size: call.query("per_page"))
        let cards: [GatewayCard]
        do {
            let client = try call.identifier("client_id", as: PlatformClientID.self, notFound: .platform(.clientNotFound))
            cards = try await platform.gatewayCards(client: client, tenant: tenant, page: page)
        } catch VaultError.platform(.clientNotFound) {
            throw InTandemError.notFound(.clientNotFound)
        }
        return JSONResponse.make(.ok, Self.success([("cards", .array(cards.map(Self.card)))]))
    }

    @Sendable func deleteCard(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await business(call)
        let id = try call.identifier("card_id", as: GatewayCardID.self, notFound: .platform(.cardNotFound))
        try await platform.deleteGatewayCard(id, tenant: tenant, actor: call.actor)
        return JSONResponse.make(.ok, Self.success([]))
    }

    // MARK: Reading and writing bodies

    private static func success(_ data: [(String, JSONValue)]) -> JSONValue {
        .object(JSONObject([("status", "OK"), ("data", .object(JSONObject(data)))]))
    }

    private static func stored(_ status: HTTPStatus, _ data: [(String, JSONValue)]) -> StoredResponse {
        StoredResponse(status: status.rawValue, body: JSONWriter.write(success(data)))
    }

    /// Never the access token: only whether one is held.
    private static func settings(_ settings: PaymentSettings) -> JSONValue {
        .object(JSONObject([
            ("stripe_user_id", settings.stripeUserID.map { .string($0) } ?? .null),
            ("stripe_connected", .bool(settings.stripeConnected)),
            ("payments_gateway_type", settings.gateway.map { .string($0.rawValue) } ?? .null),
            ("payments_enabled", .bool(settings.paymentsEnabled)),
            ("allow_credit_card", .bool(settings.allowCreditCard)),
        ]))
    }

    /// The platform's card fields, plus the gateway ids and, when linked, the vault token.
    private static func card(_ card: GatewayCard) -> JSONValue {
        let record = card.record
        var fields: [(String, JSONValue)] = [
            ("id", .string(record.id.rawValue)), ("active", true), ("business_id", .string(record.tenantID.rawValue)),
            ("card_brand", .string(record.brand.rawValue)), ("cardholder_name", .string(card.cardholderName)),
            ("client_id", .string(record.clientID.rawValue)), ("created_at", timestamp(record.createdAt)),
            ("customer_id", .string(record.customerID)), ("default", .bool(record.isDefault)),
            ("exp_month", .number(JSONNumber(record.expMonth))), ("exp_year", .number(JSONNumber(record.expYear))),
            ("external_card_id", .string(record.externalCardID)), ("last_4", .string(record.last4)),
            ("payment_provider", .string(record.paymentProvider)), ("staff_id", .string(record.staffID.rawValue)),
            ("staff_name", .string(record.staffName)),
        ]
        if let token = record.vaultToken { fields.append(("vault_token", .string(token.rawValue))) }
        return .object(JSONObject(fields))
    }
}
