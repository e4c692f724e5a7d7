import HTTPServer
import JSON
import VaultCore
import VaultCrypto

/// Ticket Evolution's v9 client routes — clients, their addresses, phone numbers and credit
/// cards — under `/v9`, signed with `X-Token` + `X-Signature` and answered in TEvo's shapes; and
/// the native routes that issue those credentials. See docs/api/ticketevolution.md.
struct TEvoRoutes: Sendable {
    let patrons: PatronService

    static let pathPrefix = "/v9"
    static let credentialsPath = "/vault/v1/tevo/credentials"

    static func register(in router: inout Router<RouteHandler>, vault: Vault, cardVerifier: any CardVerifier) {
        let routes = TEvoRoutes(patrons: PatronService(vault, verifier: cardVerifier))
        let signed = Access.dialect(authentication(routes.patrons, vault: vault))
        func add(_ method: String, _ path: String, _ run: @escaping @Sendable (APICall) async throws -> HTTPResponse) {
            router.add(method, pathPrefix + path, RouteHandler(access: signed, errors: TEvoError.style, run: run))
        }
        add("POST", "/clients", routes.createClients)
        add("GET", "/clients", routes.clients)
        add("GET", "/clients/{client_id}", routes.client)
        for kind in PatronContactKind.allCases {
            let plural = kind == .address ? "addresses" : "phone_numbers"
            add("POST", "/clients/{client_id}/\(plural)", { try await routes.createContacts(kind, $0) })
            add("GET", "/clients/{client_id}/\(plural)", { try await routes.contacts(kind, $0) })
            add("GET", "/clients/{client_id}/\(plural)/{id}", { try await routes.contact(kind, $0) })
        }
        add("POST", "/clients/{client_id}/credit_cards", routes.createCreditCards)
        add("GET", "/clients/{client_id}/credit_cards", routes.creditCards)
        add("GET", "/clients/{client_id}/credit_cards/{id}", routes.creditCard)

        router.add("POST", credentialsPath, RouteHandler(access: .role(.admin), run: routes.createCredential))
        router.add("GET", credentialsPath, RouteHandler(access: .role(.admin), run: routes.credentials))
        router.add("DELETE", credentialsPath + "/{id}", RouteHandler(access: .role(.admin), run: routes.revokeCredential))
    }

    /// `X-Token` names the credential; `X-Signature` must be its secret's signature of the
    /// request as received (`TEvoSignature`). A missing header, a request that cannot be signed
    /// (unsorted GET query, query on POST, …) and a wrong signature are refused alike, each
    /// counted as a failed authentication of the source.
    static func authentication(_ patrons: PatronService, vault: Vault) -> DialectAuthentication {
        DialectAuthentication { request, actor in
            guard let token = request.headers["X-Token"] else {
                try await vault.refuseAuthentication(.missingCredential, actor: actor)
            }
            guard let presented = request.headers["X-Signature"], let signed = try? TEvoSignature(request) else {
                try await vault.refuseAuthentication(.invalidSignature, actor: actor)
            }
            return try await patrons.authenticate(token: token, actor: actor) { secret in
                signed.isValid(presented, secret: secret)
            }
        }
    }

    // MARK: Clients

    @Sendable func createClients(_ call: APICall) async throws -> HTTPResponse {
        let profiles = try TEvoBodies.clientProfiles(try call.body(orThrow: TEvoError.malformedJSON))
        let created = try await patrons.createPatrons(profiles: profiles, tenant: call.tenant)
        return JSONResponse.make(.created, ["clients": .array(created.map(TEvoBodies.client))])
    }

    @Sendable func clients(_ call: APICall) async throws -> HTTPResponse {
        let all = try await patrons.patrons(tenant: call.tenant)
        return try list("clients", all.map(TEvoBodies.client), call)
    }

    @Sendable func client(_ call: APICall) async throws -> HTTPResponse {
        let id = try TEvoBodies.pathID(call, "client_id", notFound: .patronNotFound)
        return JSONResponse.make(.ok, TEvoBodies.client(try await patrons.patron(id, tenant: call.tenant)))
    }

    // MARK: Addresses and phone numbers

    func createContacts(_ kind: PatronContactKind, _ call: APICall) async throws -> HTTPResponse {
        let patron = try TEvoBodies.pathID(call, "client_id", notFound: .patronNotFound)
        let body = try call.body(orThrow: TEvoError.malformedJSON)
        let details = try kind == .address ? TEvoBodies.addresses(body) : TEvoBodies.phoneNumbers(body)
        let created = try await patrons.createContacts(kind, details: details, patron: patron, tenant: call.tenant)
        return JSONResponse.make(.created, [Self.plural(kind): .array(created.map { Self.render($0) })])
    }

    func contacts(_ kind: PatronContactKind, _ call: APICall) async throws -> HTTPResponse {
        let patron = try TEvoBodies.pathID(call, "client_id", notFound: .patronNotFound)
        let all = try await patrons.contacts(kind, patron: patron, tenant: call.tenant)
        return try list(Self.plural(kind), all.map { Self.render($0) }, call)
    }

    func contact(_ kind: PatronContactKind, _ call: APICall) async throws -> HTTPResponse {
        let missing: PatronError = kind == .address ? .addressNotFound : .phoneNumberNotFound
        let patron = try TEvoBodies.pathID(call, "client_id", notFound: .patronNotFound)
        let id = try TEvoBodies.pathID(call, "id", notFound: missing)
        do {
            return JSONResponse.make(.ok, Self.render(try await patrons.contact(kind, id, patron: patron, tenant: call.tenant)))
        } catch let error as PatronError where error == missing {
            throw TEvoError.notFound(error)
        }
    }

    private static func plural(_ kind: PatronContactKind) -> String {
        kind == .address ? "addresses" : "phone_numbers"
    }

    private static func render(_ contact: PatronContact) -> JSONValue {
        contact.kind == .address ? TEvoBodies.address(contact) : TEvoBodies.phoneNumber(contact)
    }

    // MARK: Credit cards

    /// Verifies and stores the batch, all of it or nothing (`PatronService.createCards`).
    @Sendable func createCreditCards(_ call: APICall) async throws -> HTTPResponse {
        let patron = try TEvoBodies.pathID(call, "client_id", notFound: .patronNotFound)
        let cards = try TEvoBodies.creditCards(try call.body(orThrow: TEvoError.malformedJSON))
        let created = try await patrons.createCards(cards, patron: patron, tenant: call.tenant, caller: call.caller,
                                                    actor: call.actor, billingAddress: TEvoBodies.billingAddress)
        return JSONResponse.make(.created, ["credit_cards": .array(created.map(TEvoBodies.creditCard))])
    }

    @Sendable func creditCards(_ call: APICall) async throws -> HTTPResponse {
        let patron = try TEvoBodies.pathID(call, "client_id", notFound: .patronNotFound)
        let all = try await patrons.cards(patron: patron, tenant: call.tenant)
        return try list("credit_cards", all.map(TEvoBodies.creditCard), call)
    }

    @Sendable func creditCard(_ call: APICall) async throws -> HTTPResponse {
        let patron = try TEvoBodies.pathID(call, "client_id", notFound: .patronNotFound)
        let id = try TEvoBodies.pathID(call, "id", notFound: .cardNotFound)
        return JSONResponse.make(.ok, TEvoBodies.creditCard(try await patrons.card(id, patron: patron, tenant: call.tenant)))
    }

    private func list(_ name: String, _ all: [JSONValue], _ call: APICall) throws -> HTTPResponse {
        JSONResponse.make(.ok, try TEvoBodies.list(name, all, page: call.query("page"), perPage: call.query("per_page")))
    }

    // MARK: Credentials (native API)

    /// `{"label": "..."?}` → the credential with its token and secret, shown this once.
    @Sendable func createCredential(_ call: APICall) async throws -> HTTPResponse {
        let label: String
        do {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["label"])
            label = try body.optionalString("label") == nil ? "" : try body.text("label")
        } catch let error as JSONFieldError {
            throw APIError.field(error)
        }
        let render: @Sendable (IssuedSigningCredential) -> StoredResponse = { issued in
            StoredResponse(status: 201, body: JSONWriter.write(.object(JSONObject(
                Self.credential(issued.record) + [("token", .string(issued.token)), ("secret", .string(issued.secret))]))))
        }
        let issued = try await patrons.createSigningCredential(tenant: call.tenant, label: label, actor: call.actor,
                                                               idempotency: call.recording(render))
        return call.respond(issued, render)
    }

    /// `{"data": [...]}`: the tenant's credentials, revoked ones included; never a token or secret.
    @Sendable func credentials(_ call: APICall) async throws -> HTTPResponse {
        let all = try await patrons.signingCredentials(tenant: call.tenant)
        return JSONResponse.make(.ok, ["data": .array(all.map { .object(JSONObject(Self.credential($0))) })])
    }

    @Sendable func revokeCredential(_ call: APICall) async throws -> HTTPResponse {
        let notFound = APIError(status: .notFound, code: PatronError.credentialNotFound.code, message: "No such credential.")
        guard let id = call.parameters["id"].flatMap(SigningCredentialID.init(validating:)) else { throw notFound }
        do {
            try await patrons.revokeSigningCredential(id, tenant: call.tenant, actor: call.actor)
        } catch PatronError.credentialNotFound {
            throw notFound
        }
        return HTTPResponse(status: .noContent)
    }

    private static func credential(_ record: SigningCredentialRecord) -> [(String, JSONValue)] {
        [("id", .string(record.id.rawValue)), ("label", .string(record.label)), ("createdAt", timestamp(record.createdAt)),
         ("revokedAt", record.revokedAt.map(timestamp) ?? .null)]
    }
}
