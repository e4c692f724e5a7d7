import Foundation
import HTTPServer
import JSON
import VaultCore

/// The TabaPay-compatible dialect: accounts and keys under `/v1/clients/{ClientID}`, answered
/// in TabaPay's `{SC, EC, EM}` envelope. The ClientID is the tenant; an ISO addresses a
/// sub-client as `{ClientID}_{SubClientID}`. See docs/api/tabapay.md.
struct TabaPayRoutes: Sendable {
    let vault: Vault

    /// A lookup by referenceID recovers a lost response; TabaPay allows it for 24 hours.
    static let referenceLookupWindow: TimeInterval = 24 * 3600
    static let pathPrefix = "/v1/clients/"
    /// Update Account v2 is the dialect's one route under `/v2`.
    static let v2PathPrefix = "/v2/clients/"

    static func register(in router: inout Router<RouteHandler>, vault: Vault) {
        let routes = TabaPayRoutes(vault: vault)
        func add(_ method: String, _ path: String, _ access: Access, prefix: String = pathPrefix,
                 _ run: @escaping @Sendable (APICall) async throws -> HTTPResponse) {
            router.add(method, prefix + "{clientID}" + path, RouteHandler(access: access, errors: TabaPayError.style, run: run))
        }
        // `/cards` is the seed's path, `/accounts` TabaPay's documented one: both create.
        add("POST", "/cards", .role(.tokenize), routes.createAccount)
        add("POST", "/accounts", .role(.tokenize), routes.createAccount)
        add("GET", "/accounts", .anyRole([.tokenize, .reveal]), routes.accountByReference)
        add("GET", "/accounts/{accountID}", .anyRole([.tokenize, .reveal]), routes.account)
        add("PUT", "/accounts/{accountID}", .role(.tokenize), routes.replaceAccount)
        add("PUT", "/accounts/{accountID}", .role(.tokenize), prefix: v2PathPrefix, routes.amendAccount)
        add("DELETE", "/accounts/{accountID}", .role(.tokenize), routes.deleteAccount)
        add("POST", "/keys", .role(.keys), routes.createKey)
        add("GET", "/keys/{keyID}", .role(.keys), routes.key)
        add("DELETE", "/keys/{keyID}", .role(.keys), routes.deleteKey)
    }

    @Sendable func createAccount(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        let check = try TabaPayAccountRequest.duplicateCheck(query: call.request.query)
        let (referenceID, instrument, owner) = try TabaPayAccountRequest.parse(try call.body(orThrow: TabaPayError.malformedJSON))
        let render: @Sendable (SavedAccount) -> StoredResponse = { created in
            let (status, header) = Self.status(created)
            let fields = header + [("accountID", JSONValue.string(created.id.rawValue))]
                + Self.outcome(created, showingCard: Self.mayNotKnowCard(instrument))
            return StoredResponse(status: status.rawValue, body: JSONWriter.write(.object(JSONObject(fields))))
        }
        let new = NewAccount(referenceID: referenceID, instrument: instrument, holder: JSONWriter.write(owner),
                             duplicateCheck: check)
        let created = try await vault.createAccount(new, tenant: tenant, caller: call.caller, actor: call.actor,
                                                    idempotency: call.recording(render))
        return call.respond(created, render)
    }

    /// Update Account v1: the card or bank account and the owner, all replaced; the accountID stays.
    /// The duplicate flags work as on create. Not recorded for `Idempotency-Key` (that covers
    /// POSTs): the same PUT again leaves the same account, except that a single-use card token
    /// is spent by the first.
    @Sendable func replaceAccount(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        let id = try accountID(call)
        let check = try TabaPayAccountRequest.duplicateCheck(query: call.request.query, updating: true)
        let (instrument, owner) = try TabaPayAccountRequest.parseReplacement(try call.body(orThrow: TabaPayError.malformedJSON))
        let saved = try await vault.updateAccount(id, .replace(instrument, holder: JSONWriter.write(owner), duplicateCheck: check),
                                                  tenant: tenant, caller: call.caller, actor: call.actor)
        let (status, header) = Self.status(saved)
        let fields = header + Self.outcome(saved, showingCard: Self.mayNotKnowCard(instrument))
        return JSONResponse.make(status, .object(JSONObject(fields)))
    }

    /// Update Account v2: the expiration date and any of the owner's name, address and phone;
    /// never a card number. The duplicate flags are v1's only (v2 changes no number).
    @Sendable func amendAccount(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        let id = try accountID(call)
        try Self.rejectQuery(call)
        let (expiration, owner) = try TabaPayAccountRequest.parseAmendment(try call.body(orThrow: TabaPayError.malformedJSON))
        let merge: @Sendable ([UInt8]) throws -> [UInt8] = { try TabaPayOwner.merging(owner, into: $0) }
        _ = try await vault.updateAccount(id, .amend(holder: owner.isEmpty ? nil : merge, expiration: expiration),
                                          tenant: tenant, caller: call.caller, actor: call.actor)
        return JSONResponse.make(.ok, .object(JSONObject(Self.success)))
    }

    @Sendable func account(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        try Self.rejectQuery(call)
        let account = try await vault.account(try accountID(call), tenant: tenant)
        return JSONResponse.make(.ok, .object(JSONObject(Self.success + Self.details(account))))
    }

    /// `GET …/accounts?referenceID=X`: the newest account with that reference, within 24 hours.
    @Sendable func accountByReference(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        guard let query = call.request.query, query.hasPrefix("referenceID="), !query.contains("&") else {
            throw TabaPayError.queryString
        }
        // A reference may hold any printable character, so libraries percent-encode it.
        guard let referenceID = String(query.dropFirst("referenceID=".count)).removingPercentEncoding,
              TabaPayAccountRequest.isReferenceID(referenceID) else { throw TabaPayError.invalidField("referenceID") }
        let account: AccountDetails
        do {
            account = try await vault.account(referenceID: referenceID, tenant: tenant,
                                              maximumAge: Self.referenceLookupWindow)
        } catch VaultError.accountNotFound {
            throw TabaPayError.referenceID
        }
        let fields = Self.success + [("accountID", .string(account.id.rawValue))] + Self.details(account)
        return JSONResponse.make(.ok, .object(JSONObject(fields)))
    }

    /// `?DeleteDuplicateCard` takes the account out of later duplicate checks, which every
    /// delete does here: the flag is accepted and changes nothing.
    @Sendable func deleteAccount(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        _ = try TabaPayQuery.flags(in: call.request.query, allowed: ["DeleteDuplicateCard"])
        try await vault.deleteAccount(try accountID(call), tenant: tenant, actor: call.actor)
        return JSONResponse.make(.ok, .object(JSONObject(Self.success)))
    }

    /// `{"format": "ASN.1" | "Raw"}` (Raw when absent) → the new key, 200.
    @Sendable func createKey(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        try Self.rejectQuery(call)
        let body = try call.body(orThrow: TabaPayError.malformedJSON)
        let format = try TabaPayAccountRequest.fields {
            try body.rejectUnknownKeys(allowed: ["format"])
            return try Self.format(try body.optionalString("format"))
        }
        let render: @Sendable (CardDataPublicKey) -> StoredResponse = { key in
            StoredResponse(status: 200, body: JSONWriter.write(Self.key(key, format: format)))
        }
        let key = try await vault.createCardDataKey(tenant: tenant, actor: call.actor, idempotency: call.recording(render))
        return call.respond(key, render)
    }

    /// `GET …/keys/{KeyID}?Format=ASN.1|Raw` (Raw when absent).
    @Sendable func key(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        let format: KeyRoutes.Format
        switch call.request.query {
        case nil: format = .raw
        case let query? where query.hasPrefix("Format=") && !query.contains("&"):
            format = try Self.format(String(query.dropFirst("Format=".count)))
        default: throw TabaPayError.queryString
        }
        let key = try await vault.cardDataKey(try keyID(call), tenant: tenant)
        return JSONResponse.make(.ok, Self.key(key, format: format))
    }

    @Sendable func deleteKey(_ call: APICall) async throws -> HTTPResponse {
        let tenant = try await client(of: call)
        try Self.rejectQuery(call)
        try await vault.deleteCardDataKey(try keyID(call), tenant: tenant, actor: call.actor)
        return JSONResponse.make(.ok, .object(JSONObject(Self.success)))
    }

    // MARK: Clients

    /// The tenant a `{ClientID}` or `{ClientID}_{SubClientID}` path segment names, if the
    /// caller's key may use it: a client's own key, or for a sub-client its ISO's key or its own.
    /// A key for another client gets 401 whether or not the sub-client exists.
    func client(of call: APICall) async throws -> TenantID {
        let segment = call.parameters["clientID"] ?? ""
        let caller = call.tenant
        guard let client = TenantID(validating: String(segment.prefix(22))) else { throw TabaPayError.clientID }
        let rest = segment.dropFirst(22)
        if rest.isEmpty {
            guard client == caller else { throw TabaPayError.clientID }
            return client
        }
        guard rest.first == "_", case let subClientID = String(rest.dropFirst()), Vault.isSubClientID(subClientID) else {
            throw client == caller ? TabaPayError.subClientID : TabaPayError.clientID
        }
        let subTenant: TenantRecord
        do {
            subTenant = try await vault.subTenant(of: client, subClientID: subClientID)
        } catch VaultError.tenantNotFound {
            throw client == caller ? TabaPayError.subClientID : TabaPayError.clientID
        }
        guard client == caller || subTenant.id == caller else { throw TabaPayError.clientID }
        return subTenant.id
    }

    // MARK: Reading requests

    private func accountID(_ call: APICall) throws -> Token {
        try call.identifier("accountID", as: Token.self, notFound: .accountNotFound)
    }

    private func keyID(_ call: APICall) throws -> KeyID {
        try call.identifier("keyID", as: KeyID.self, notFound: .keyNotFound)
    }

    private static func rejectQuery(_ call: APICall) throws(TabaPayError) {
        if call.request.query != nil { throw .queryString }
    }

    private static func format(_ string: String?) throws(TabaPayError) -> KeyRoutes.Format {
        guard let format = KeyRoutes.Format(rawValue: string ?? KeyRoutes.Format.raw.rawValue) else { throw .format }
        return format
    }

    // MARK: Writing responses

    private static let success: [(String, JSONValue)] = [("SC", .number(JSONNumber(200))), ("EC", .string("0"))]
    /// TabaPay's answer when the duplicate check is not enabled for the client: the account is
    /// saved, the check is not made. Given to keys without the `fingerprint` grant that send a flag.
    private static let duplicateCheckNotEnabled: [(String, JSONValue)] = [
        ("SC", .number(JSONNumber(207))), ("EC", .string("20700001")), ("EM", .string("Duplicate Card Check Not Enabled")),
    ]

    /// `200 {SC, EC}`, or `207 {SC, EC, EM}` when the duplicate check asked for was not made.
    private static func status(_ saved: SavedAccount) -> (HTTPStatus, [(String, JSONValue)]) {
        saved.duplicateCheckSkipped ? (.multiStatus, duplicateCheckNotEnabled) : (.ok, success)
    }

    private static func card(_ card: CardMetadata) -> JSONValue {
        var fields: [(String, JSONValue)] = [("last4", .string(card.last4))]
        if let expiration = card.expiration { fields.append(("expirationDate", .string(expiration.yyyymm))) }
        return .object(JSONObject(fields))
    }

    /// A caller that sent the card encrypted or as a token may not know it: it gets last4 and expiry back.
    private static func mayNotKnowCard(_ instrument: AccountInstrument) -> Bool {
        if case .card(.plain) = instrument { false } else { true }
    }

    /// What a create or v1 update answers beyond `{SC, EC}` (and create's accountID).
    private static func outcome(_ saved: SavedAccount, showingCard: Bool) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        if showingCard, let card = saved.card { fields.append(("card", Self.card(card))) }
        if !saved.duplicates.isEmpty {
            fields.append(("duplicateAccountIDs", .array(saved.duplicates.map { .string($0.rawValue) })))
        }
        return fields
    }

    private static func details(_ account: AccountDetails) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("referenceID", account.referenceID.map { .string($0) } ?? .null)]
        if let card = account.card { fields.append(("card", Self.card(card))) }
        if let bank = account.bank {
            fields.append(("bank", .object(JSONObject([
                ("routingNumber", .string(bank.routingNumber)), ("last4", .string(bank.last4)),
                ("accountType", .string(bank.accountType.rawValue)),
            ]))))
        }
        // The owner was written by this dialect and sealed by the vault; it reads back as written.
        fields.append(("owner", (try? JSONParser.parse(account.holder)) ?? .null))
        return fields
    }

    private static func key(_ key: CardDataPublicKey, format: KeyRoutes.Format) -> JSONValue {
        guard case .object(let fields) = KeyRoutes.json(key, format: format) else { return .null }
        return .object(JSONObject(success + fields.pairs.map { ($0.key, $0.value) }))
    }
}
