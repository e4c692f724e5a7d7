import HTTPServer
import JSON
import VaultCore

/// `/vault/v1/apikeys` and `/vault/v1/tenants`: administration within the caller's tenant, and of
/// top-level tenants by the operator.
struct AccessRoutes: Sendable {
    let vault: Vault

    /// `{"roles": ["tokenize", ...], "label": "...", "limits": {...} | null}` → the new key, its
    /// secret shown this once, with the limits it got.
    @Sendable func createAPIKey(_ call: APICall) async throws -> HTTPResponse {
        let roles: Set<Role>
        let label: String
        let limits: [RateLimits.Operation: TokenBucket.Rate?]
        do {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["roles", "label", "limits"])
            roles = try Self.roles(body.array("roles"))
            label = try body.optionalString("label") ?? ""
            limits = try Self.limits(body)
        } catch let error as JSONFieldError {
            throw APIError.field(error)
        }
        guard let principal = call.principal, roles.allSatisfy(principal.mayGrant) else { throw APIError.forbidden }
        let render: @Sendable (IssuedAPIKey) -> StoredResponse = { issued in
            StoredResponse(status: 201, body: JSONWriter.write(.object(JSONObject([
                ("id", .string(issued.record.id.rawValue)),
                ("apiKey", .string(issued.secret)),
                ("roles", .array(issued.record.roles.sorted().map { .string($0.rawValue) })),
                ("label", .string(issued.record.label)),
                ("limits", Self.json(issued.record.limits)),
                ("createdAt", timestamp(issued.record.createdAt)),
            ]))))
        }
        let issued = try await vault.createAPIKey(tenant: call.tenant, roles: roles, limits: limits, label: label,
                                                  actor: call.actor, idempotency: call.recording(render))
        return call.respond(issued, render)
    }

    /// `{"data": [{id, label, roles, limits, createdAt, revokedAt, lastUsedAt}]}`: the caller's
    /// tenant's keys, oldest first, revoked ones included; never a secret or its hash.
    @Sendable func apiKeys(_ call: APICall) async throws -> HTTPResponse {
        let keys = try await vault.apiKeys(tenant: call.tenant)
        return JSONResponse.make(.ok, ["data": .array(keys.map { key in
            .object(JSONObject([
                ("id", .string(key.id.rawValue)),
                ("label", .string(key.label)),
                ("roles", .array(key.roles.sorted().map { .string($0.rawValue) })),
                ("limits", Self.json(key.limits)),
                ("createdAt", timestamp(key.createdAt)),
                ("revokedAt", key.revokedAt.map(timestamp) ?? .null),
                ("lastUsedAt", key.lastUsedAt.map(timestamp) ?? .null),
            ]))
        })])
    }

    @Sendable func revokeAPIKey(_ call: APICall) async throws -> HTTPResponse {
        let id = try call.identifier("id", as: APIKeyID.self, notFound: .keyNotFound)
        try await vault.revokeAPIKey(id, tenant: call.tenant, actor: call.actor)
        return HTTPResponse(status: .noContent)
    }

    /// `{"name": "...", "subTenant": true?, "subClientID": "1234"?}`: a new tenant with its own
    /// admin key, shown once. A sub-tenant's parent is the caller's tenant (ISO sub-clients); a
    /// `subClientID` (4, 6 or 8 digits) makes it one and names it in TabaPay paths
    /// (`{ClientID}_{SubClientID}`). Other tenants are top-level.
    @Sendable func createTenant(_ call: APICall) async throws -> HTTPResponse {
        let name: String
        let isSubTenant: Bool
        let subClientID: String?
        do {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["name", "subTenant", "subClientID"])
            name = try body.string("name")
            subClientID = try body.optionalString("subClientID")
            isSubTenant = try body.optionalBool("subTenant") ?? (subClientID != nil)
        } catch let error as JSONFieldError {
            throw APIError.field(error)
        }
        // Counted in code points, as the contract's JSON Schema `maxLength` counts.
        guard (1...200).contains(name.unicodeScalars.count) else {
            throw APIError.badRequest("invalid_field", "name must be 1–200 characters.")
        }
        // A tenant admin creates sub-tenants of its own; only the operator creates top-level tenants.
        guard isSubTenant || call.principal?.has(.operator) == true else { throw APIError.forbidden }
        let render: @Sendable (CreatedTenant) -> StoredResponse = { created in
            StoredResponse(status: 201, body: JSONWriter.write(.object(JSONObject([
                ("tenantId", .string(created.id.rawValue)),
                ("name", .string(created.record.name)),
                ("parentId", created.record.parentID.map { .string($0.rawValue) } ?? .null),
                ("subClientID", created.record.subClientID.map { .string($0) } ?? .null),
                ("apiKey", .string(created.adminKey.secret)),
            ]))))
        }
        let created = try await vault.createTenant(name: name, parent: isSubTenant ? call.tenant : nil,
                                                   subClientID: subClientID, actor: call.actor,
                                                   idempotency: call.recording(render))
        return call.respond(created, render)
    }

    /// `POST /vault/v1/tenants/{id}/disable` and `…/enable` → `{tenantId, parentId, disabledAt}`:
    /// the operator for a top-level tenant, an admin for its own sub-tenants (`Vault.setTenantDisabled`).
    @Sendable func disableTenant(_ call: APICall) async throws -> HTTPResponse {
        try await setTenantDisabled(call, true)
    }

    @Sendable func enableTenant(_ call: APICall) async throws -> HTTPResponse {
        try await setTenantDisabled(call, false)
    }

    private func setTenantDisabled(_ call: APICall, _ disabled: Bool) async throws -> HTTPResponse {
        let id = try call.identifier("id", as: TenantID.self, notFound: .tenantNotFound)
        let record = try await vault.setTenantDisabled(id, disabled, by: call.principal!, actor: call.actor)
        return JSONResponse.make(.ok, .object(JSONObject([
            ("tenantId", .string(record.id.rawValue)),
            ("parentId", record.parentID.map { .string($0.rawValue) } ?? .null),
            ("disabledAt", record.disabledAt.map(timestamp) ?? .null),
        ])))
    }

    /// `limits` as laid over the key's defaults: absent, none; `null`, every operation unlimited;
    /// an object, each operation it names — `{"perSecond", "burst"}`, or `null` for unlimited.
    static func limits(_ body: JSONReader) throws -> [RateLimits.Operation: TokenBucket.Rate?] {
        guard body.has("limits") else { return [:] }
        guard !body.isNull("limits") else {
            return Dictionary(uniqueKeysWithValues: RateLimits.Operation.allCases.map { ($0, nil) })
        }
        let object = try body.object("limits")
        try object.rejectUnknownKeys(allowed: Set(RateLimits.Operation.allCases.map(\.rawValue)))
        var limits: [RateLimits.Operation: TokenBucket.Rate?] = [:]
        for operation in RateLimits.Operation.allCases where object.has(operation.rawValue) {
            guard !object.isNull(operation.rawValue) else {
                limits.updateValue(nil, forKey: operation)
                continue
            }
            let given = try object.object(operation.rawValue)
            try given.rejectUnknownKeys(allowed: ["perSecond", "burst"])
            guard let rate = TokenBucket.Rate(perSecond: try given.double("perSecond"), burst: try given.double("burst")) else {
                throw APIError.badRequest("invalid_field",
                                          "limits.\(operation.rawValue) needs perSecond above 0 and burst of at least 1.")
            }
            limits[operation] = rate
        }
        return limits
    }

    /// Every operation: `{"perSecond", "burst"}`, or `null` when unlimited.
    static func json(_ limits: RateLimits) -> JSONValue {
        .object(JSONObject(RateLimits.Operation.allCases.map { operation in
            (operation.rawValue, limits[operation].map { rate in
                .object(JSONObject([("perSecond", JSONValue(floatLiteral: rate.perSecond)),
                                    ("burst", JSONValue(floatLiteral: rate.burst))]))
            } ?? .null)
        }))
    }

    static func roles(_ values: [JSONValue]) throws -> Set<Role> {
        var roles: Set<Role> = []
        for value in values {
            guard let name = value.stringValue, let role = Role(rawValue: name) else {
                throw APIError.badRequest(
                    "invalid_field", "roles must be names from: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            roles.insert(role)
        }
        guard !roles.isEmpty else { throw APIError.badRequest("invalid_field", "roles must not be empty.") }
        return roles
    }
}
