import Foundation
import HTTPServer
import JSON
import VaultCore
import VaultCrypto

/// The connectFi dialect: `POST /auth/get-token` opens a session of a login made through the
/// native API (`/vault/v1/connectfi/logins`); every other route takes its token in
/// `x-connectfi-token` and answers in connectFi's envelope. Customers, the vault cards linked to
/// them, and the cardholder profile synced from a customer to a card. See docs/api/connectfi.md.
struct ConnectFiRoutes: Sendable {
    let profiles: CardProfileService

    static let tokenHeader = "x-connectfi-token"

    static func register(in router: inout Router<RouteHandler>, vault: Vault) {
        let routes = ConnectFiRoutes(profiles: CardProfileService(vault))
        let session = Access.dialect(DialectAuthentication { [profiles = routes.profiles] request, actor in
            try await profiles.authenticate(sessionToken: request.headers[tokenHeader], actor: actor)
        })
        func add(_ method: String, _ path: String, _ access: Access,
                 _ run: @escaping @Sendable (APICall) async throws -> HTTPResponse) {
            router.add(method, path, RouteHandler(access: access, errors: ConnectFiError.style, run: run))
        }
        add("POST", "/auth/get-token", .everyone, routes.getToken)
        add("POST", "/customer/init", session, routes.initCustomer)
        add("POST", "/customer/update", session, routes.updateCustomer)
        add("GET", "/customer/status/{customerId}", session, routes.customerStatus)
        add("POST", "/ibis/card/link", session, routes.linkCard)
        add("GET", "/ibis/card/status/{cFiCardId}", session, routes.cardStatus)
        add("POST", "/ibis/card/sync-profile", session, routes.syncProfile)
        ConnectFiLoginRoutes.register(in: &router, profiles: routes.profiles)
    }

    /// `{"user": {"login", "password"}}` → `{token, dtsExpireAt}`. A body off connectFi's schema
    /// is a 400; an unknown login and a wrong password are the same 401, counted against the source.
    @Sendable func getToken(_ call: APICall) async throws -> HTTPResponse {
        let body = try call.body(orThrow: ConnectFiError.malformedJSON)
        let credentials: (login: String, password: String)
        do {
            try body.rejectUnknownKeys(besideRequestID: ["user"])
            let user = try body.object("user")
            try user.rejectUnknownKeys(allowed: ["login", "password"])
            credentials = (try ConnectFiCustomers.commonID(user, "login"), try Self.password(user))
        } catch {
            throw ConnectFiError.validation(error)
        }
        let session = try await profiles.openSession(login: credentials.login, password: SecretBytes(credentials.password.utf8),
                                                     actor: call.actor)
        return ConnectFiEnvelope.success(.object(["token": .string(session.token), "dtsExpireAt": Self.date(session.expiresAt)]),
                                         requestID: call.requestID)
    }

    @Sendable func initCustomer(_ call: APICall) async throws -> HTTPResponse {
        let (type, reference, document) = try ConnectFiCustomers.initBody(try call.body(orThrow: ConnectFiError.malformedJSON))
        let customer = try await profiles.createCustomer(type, reference: reference, document: JSONWriter.write(.object(document)),
                                                         tenant: call.tenant, actor: call.actor)
        return ConnectFiEnvelope.success(try Self.customer(customer), requestID: call.requestID)
    }

    /// `{customerId, customer: {…}}`: each array given replaces the stored one.
    @Sendable func updateCustomer(_ call: APICall) async throws -> HTTPResponse {
        let body = try call.body(orThrow: ConnectFiError.malformedJSON)
        try body.rejectUnknownKeys(besideRequestID: ["customerId", "customer"])
        let id = try Self.customerID(body, "customerId")
        let change = try body.object("customer")
        let customer = try await profiles.updateCustomer(id, tenant: call.tenant, actor: call.actor) { current in
            JSONWriter.write(.object(try ConnectFiCustomers.update(try Self.document(current), with: change, type: id.type)))
        }
        return ConnectFiEnvelope.success(try Self.customer(customer), requestID: call.requestID)
    }

    @Sendable func customerStatus(_ call: APICall) async throws -> HTTPResponse {
        guard let id = call.parameters["customerId"].flatMap(ProfileCustomerID.init(validating:)) else {
            throw CardProfileError.customerNotFound
        }
        return ConnectFiEnvelope.success(try Self.customer(try await profiles.customer(id, tenant: call.tenant)),
                                         requestID: call.requestID)
    }

    /// `{customerId, reference?, card: {token} | {number, expirationDate?, securityCode?} |
    /// {keyID, data, mode?} | {cardToken}}` → the new `cFiCardId`. A Coffer route: connectFi issues
    /// its cards itself, Coffer links the cards it holds.
    @Sendable func linkCard(_ call: APICall) async throws -> HTTPResponse {
        let body = try call.body(orThrow: ConnectFiError.malformedJSON)
        try body.rejectUnknownKeys(besideRequestID: ["customerId", "reference", "card"])
        let customer = try Self.customerID(body, "customerId")
        let reference = try body.has("reference") ? ConnectFiCustomers.commonID(body, "reference", maximumLength: 50) : nil
        let given = try body.object("card")
        let source: ProfileCardSource
        if given.has("token") {
            try given.rejectUnknownKeys(allowed: ["token"])
            guard let token = Token(validating: try given.string("token")) else { throw CardProfileError.vaultCardNotFound }
            source = .token(token)
        } else {
            source = .card(try CardInputParsing.cardInput(from: given))
        }
        let card = try await profiles.linkCard(source, to: customer, reference: reference, tenant: call.tenant, actor: call.actor)
        return ConnectFiEnvelope.success(Self.card(card, status: nil), requestID: call.requestID)
    }

    /// The linked card with its last synced cardholder profile (`profile`, null before the first sync).
    @Sendable func cardStatus(_ call: APICall) async throws -> HTTPResponse {
        guard let id = call.parameters["cFiCardId"].flatMap(ProfileCardID.init(validating:)) else {
            throw CardProfileError.cardNotFound
        }
        let card = try await profiles.card(id, tenant: call.tenant)
        var data = Self.fields(of: card, status: nil)
        data["profile"] = Self.profile(of: card)
        data["dtsProfileSyncedAt"] = card.syncedAt.map(Self.date) ?? .null
        return ConnectFiEnvelope.success(.object(data), requestID: call.requestID)
    }

    /// `{customerId, cFiCardId, profile?: {cardHolderId?, cardHolderType?}}` → `cFiStatus: "Complete"`.
    @Sendable func syncProfile(_ call: APICall) async throws -> HTTPResponse {
        let body = try call.body(orThrow: ConnectFiError.malformedJSON)
        try body.rejectUnknownKeys(besideRequestID: ["customerId", "cFiCardId", "profile"])
        let customer = try Self.customerID(body, "customerId")
        let cardID = try ConnectFiCustomers.commonID(body, "cFiCardId")
        guard let card = ProfileCardID(validating: cardID) else { throw CardProfileError.cardNotFound }
        var holder: (id: String?, type: String?) = (nil, nil)
        if let profile = try body.optionalObject("profile")?.droppingNullMembers() {
            try profile.rejectUnknownKeys(allowed: ["cardHolderId", "cardHolderType"])
            holder.id = profile.has("cardHolderId") ? try ConnectFiCustomers.commonID(profile, "cardHolderId") : nil
            holder.type = try profile.optionalString("cardHolderType")
            if let type = holder.type, type != "representative", type != "individual" {
                throw profile.invalid("cardHolderType", reason: "must be representative or individual")
            }
        }
        let synced = try await profiles.syncProfile(card: card, customer: customer, tenant: call.tenant, actor: call.actor,
            derive: { [holder] current in
                JSONWriter.write(.object(try ConnectFiCustomers.cardholderProfile(try Self.document(current), customerID: customer,
                                                                                  holder: holder)))
            },
            payload: { card in
                JSONWriter.write(.object(JSONObject([("cFiCardId", .string(card.id.rawValue)),
                                                     ("customerId", .string(card.customerID.rawValue)),
                                                     ("profile", Self.profile(of: card))])))
            })
        return ConnectFiEnvelope.success(Self.card(synced, status: "Complete"), requestID: call.requestID)
    }

    // MARK: Reading and writing bodies

    /// connectFi's `common-password`: 1 to 50 characters.
    private static func password(_ user: JSONReader) throws(JSONFieldError) -> String {
        let password = try user.string("password")
        guard (1...50).contains(password.count) else { throw user.invalid("password", reason: "must be 1 to 50 characters") }
        return password
    }

    /// A customer id in connectFi's `common-id` shape; one Coffer never issued names no customer.
    private static func customerID(_ body: JSONReader, _ key: String) throws -> ProfileCustomerID {
        guard let id = ProfileCustomerID(validating: try ConnectFiCustomers.commonID(body, key)) else {
            throw CardProfileError.customerNotFound
        }
        return id
    }

    private static func document(_ customer: ProfileCustomer) throws -> JSONObject {
        guard case .object(let document)? = try? JSONParser.parse(customer.document) else { throw VaultError.integrityFailure }
        return document
    }

    /// `{reference, customerId, customerType, customer, dtsCreatedAt, dtsUpdatedAt}`, as `/customer/status` shows it.
    private static func customer(_ customer: ProfileCustomer) throws -> JSONValue {
        let document = try document(customer)
        return .object(JSONObject([("reference", document["reference"] ?? .null), ("customerId", .string(customer.id.rawValue)),
                                   ("customerType", document["customerType"] ?? .null), ("customer", document["customer"] ?? .null),
                                   ("dtsCreatedAt", date(customer.createdAt)), ("dtsUpdatedAt", date(customer.updatedAt))]))
    }

    private static func card(_ card: ProfileCard, status: String?) -> JSONValue {
        .object(fields(of: card, status: status))
    }

    private static func fields(of card: ProfileCard, status: String?) -> JSONObject {
        var fields: [(String, JSONValue)] = [("cFiCardId", .string(card.id.rawValue))]
        if let status { fields.append(("cFiStatus", .string(status))) }
        fields += [("customerId", .string(card.customerID.rawValue)), ("reference", card.reference.map { .string($0) } ?? .null),
                   ("vaultToken", .string(card.token.rawValue)), ("dtsCreatedAt", date(card.createdAt))]
        return JSONObject(fields)
    }

    /// The synced cardholder profile (the JSON Coffer wrote), null before the first sync.
    private static func profile(of card: ProfileCard) -> JSONValue {
        card.profile.flatMap { try? JSONParser.parse($0) } ?? .null
    }

    /// connectFi's timestamps: `2024-04-22T14:43:24.714Z`.
    static func date(_ date: Date) -> JSONValue {
        .string(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}
