import HTTPServer
import JSON
import VaultCore
import VaultCrypto

/// `/vault/v1/connectfi/logins` (role `admin`, native envelope): the logins whose passwords open
/// connectFi sessions of the caller's tenant. A login's name is kept only as a keyed MAC and its
/// password as an scrypt hash, so neither is ever shown again.
struct ConnectFiLoginRoutes: Sendable {
    let profiles: CardProfileService

    static func register(in router: inout Router<RouteHandler>, profiles: CardProfileService) {
        let routes = ConnectFiLoginRoutes(profiles: profiles)
        router.add("POST", "/vault/v1/connectfi/logins", RouteHandler(access: .role(.admin), run: routes.create))
        router.add("GET", "/vault/v1/connectfi/logins", RouteHandler(access: .role(.admin), run: routes.list))
        router.add("DELETE", "/vault/v1/connectfi/logins/{id}", RouteHandler(access: .role(.admin), run: routes.delete))
    }

    /// `{"login": "^[0-9a-zA-Z_]{1,36}$", "password": 12–50 characters}` → 201 `{id, login, createdAt}`.
    @Sendable func create(_ call: APICall) async throws -> HTTPResponse {
        let login: String, password: String
        do {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["login", "password"])
            login = try ConnectFiCustomers.commonID(body, "login")
            password = try body.string("password")
            // connectFi caps passwords at 50; the floor is Coffer's, against guessing.
            guard (12...50).contains(password.count) else { throw body.invalid("password", reason: "must be 12 to 50 characters") }
        } catch let error as JSONFieldError {
            throw APIError.field(error)
        }
        do {
            let created = try await profiles.createLogin(login, password: SecretBytes(password.utf8), tenant: call.tenant,
                                                         actor: call.actor)
            return JSONResponse.make(.created, .object(JSONObject([("id", .string(created.id.rawValue)), ("login", .string(login)),
                                                                   ("createdAt", timestamp(created.createdAt))])))
        } catch CardProfileError.loginExists {
            throw APIError(status: .conflict, code: "login_exists", message: CardProfileError.loginExists.message + ".")
        }
    }

    /// `{"data": [{id, createdAt}]}`, oldest first.
    @Sendable func list(_ call: APICall) async throws -> HTTPResponse {
        let logins = try await profiles.logins(tenant: call.tenant)
        return JSONResponse.make(.ok, ["data": .array(logins.map { login in
            .object(JSONObject([("id", .string(login.id.rawValue)), ("createdAt", timestamp(login.createdAt))]))
        })])
    }

    /// Removes the login and ends its sessions: 204.
    @Sendable func delete(_ call: APICall) async throws -> HTTPResponse {
        let notFound = APIError(status: .notFound, code: "login_not_found", message: CardProfileError.loginNotFound.message + ".")
        guard let id = call.parameters["id"].flatMap(ProfileLoginID.init(validating:)) else { throw notFound }
        do {
            try await profiles.deleteLogin(id, tenant: call.tenant, actor: call.actor)
        } catch CardProfileError.loginNotFound {
            throw notFound
        }
        return HTTPResponse(status: .noContent)
    }
}
