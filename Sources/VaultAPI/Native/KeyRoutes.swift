import HTTPServer
import JSON
import VaultCore
import VaultCrypto

/// `/vault/v1/keys`: RSA public keys clients encrypt card data to.
struct KeyRoutes: Sendable {
    let vault: Vault

    /// `ASN.1`: Base64URL of the DER SubjectPublicKeyInfo; `Raw`: Base64URL modulus and exponent.
    enum Format: String {
        case asn1 = "ASN.1"
        case raw = "Raw"
    }

    @Sendable func create(_ call: APICall) async throws -> HTTPResponse {
        let format: Format
        do {
            let body = try call.body()
            try body.rejectUnknownKeys(allowed: ["format"])
            format = try Self.format(try body.optionalString("format") ?? Format.asn1.rawValue)
        } catch let error as JSONFieldError {
            throw APIError.field(error)
        }
        let render: @Sendable (CardDataPublicKey) -> StoredResponse = { key in
            StoredResponse(status: 201, body: JSONWriter.write(Self.json(key, format: format)))
        }
        let key = try await vault.createCardDataKey(tenant: call.tenant, actor: call.actor,
                                                    idempotency: call.recording(render))
        return call.respond(key, render)
    }

    @Sendable func retrieve(_ call: APICall) async throws -> HTTPResponse {
        let id = try call.identifier("keyID", as: KeyID.self, notFound: .keyNotFound)
        let format = try Self.format(call.query("format") ?? Format.asn1.rawValue)
        let key = try await vault.cardDataKey(id, tenant: call.tenant)
        return JSONResponse.make(.ok, Self.json(key, format: format))
    }

    @Sendable func delete(_ call: APICall) async throws -> HTTPResponse {
        let id = try call.identifier("keyID", as: KeyID.self, notFound: .keyNotFound)
        try await vault.deleteCardDataKey(id, tenant: call.tenant, actor: call.actor)
        return HTTPResponse(status: .noContent)
    }

    static func format(_ string: String) throws -> Format {
        guard let format = Format(rawValue: string) else {
            throw APIError.badRequest("invalid_key_format", "format must be \"ASN.1\" or \"Raw\".")
        }
        return format
    }

    static func json(_ key: CardDataPublicKey, format: Format) -> JSONValue {
        var fields: [(String, JSONValue)] = [("keyID", .string(key.id.rawValue))]
        switch format {
        case .asn1:
            fields.append(("key", .string(Base64URL.encode(key.publicKey.subjectPublicKeyInfoDER))))
        case .raw:
            fields.append(("keyModulus", .string(Base64URL.encode(key.publicKey.modulus))))
            fields.append(("keyExponent", .string(Base64URL.encode(key.publicKey.exponent))))
        }
        fields.append(("expiration", timestamp(key.expiresAt)))
        return .object(JSONObject(fields))
    }
}
