import ArgumentParsing
import Foundation
import VaultCore

/// `coffer tenants …` and `coffer apikeys …`: administration by whoever holds the master key,
/// on the data directory and beside a live server, so a lost admin key is recoverable without
/// one. Every change is audited with the actor `cli`; a running server stops honouring a revoked
/// key or a disabled tenant within its key cache's lifetime (`VaultPolicy.apiKeyCacheLifetime`).
/// Lists are JSON lines on stdout, one object per tenant or key, never a secret.
enum AdminCommand {
    static func listTenants(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        try await withVault(command, launch) { vault in
            for tenant in try await vault.tenants() {
                Output.json([
                    "id": tenant.id.rawValue, "name": tenant.name, "parentId": tenant.parentID?.rawValue ?? NSNull(),
                    "subClientId": tenant.subClientID ?? NSNull(), "createdAt": tenant.createdAt.formatted(.iso8601),
                    "disabledAt": tenant.disabledAt.map { $0.formatted(.iso8601) } ?? NSNull(),
                ])
            }
        }
    }

    /// A new top-level tenant (or, with `--parent`, a sub-tenant) and its admin key, printed once
    /// as `{"tenantId", "apiKey"}` — the shape `coffer init` prints.
    static func createTenant(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let name = try command.require("name")
        let parent = try command.string("parent").map { try tenantID($0, option: "--parent") }
        try await withVault(command, launch) { vault in
            let created = try await vault.createTenant(name: name, parent: parent, actor: "cli")
            Output.json(["tenantId": created.record.id.rawValue, "apiKey": created.adminKey.secret])
        }
    }

    static func setTenantDisabled(_ command: ParsedCommand, _ launch: LaunchEnvironment, disabled: Bool) async throws {
        let id = try tenantID(try command.require("tenant"), option: "--tenant")
        try await withVault(command, launch) { vault in
            _ = try await vault.setTenantDisabled(id, disabled, actor: "cli")
            Output.result("tenant \(id.rawValue) \(disabled ? "disabled" : "enabled")")
        }
    }

    static func listKeys(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let tenant = try tenantID(try command.require("tenant"), option: "--tenant")
        try await withVault(command, launch) { vault in
            for key in try await vault.apiKeys(tenant: tenant) {
                Output.json([
                    "id": key.id.rawValue, "label": key.label, "roles": key.roles.sorted().map(\.rawValue),
                    "createdAt": key.createdAt.formatted(.iso8601),
                    "revokedAt": key.revokedAt.map { $0.formatted(.iso8601) } ?? NSNull(),
                    "lastUsedAt": key.lastUsedAt.map { $0.formatted(.iso8601) } ?? NSNull(),
                ])
            }
        }
    }

    /// A new key of the tenant, printed once as `{"id", "apiKey"}`. Any role may be given, the
    /// operator's too: the master key's holder stands above every tenant.
    static func createKey(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let tenant = try tenantID(try command.require("tenant"), option: "--tenant")
        let text = try command.require("roles")
        let roles = text.split(separator: ",").map { Role(rawValue: String($0)) }
        guard !roles.isEmpty, roles.allSatisfy({ $0 != nil }) else {
            throw ArgumentError.invalidValue(option: "--roles", value: text,
                                             reason: "expected roles separated by commas, of: \(Role.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
        }
        let label = command.string("label") ?? ""
        try await withVault(command, launch) { vault in
            let issued = try await vault.createAPIKey(tenant: tenant, roles: Set(roles.compactMap { $0 }), label: label, actor: "cli")
            Output.json(["id": issued.record.id.rawValue, "apiKey": issued.secret])
        }
    }

    static func revokeKey(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let tenant = try tenantID(try command.require("tenant"), option: "--tenant")
        let text = try command.require("key")
        guard let id = APIKeyID(validating: text) else {
            throw ArgumentError.invalidValue(option: "--key", value: text, reason: "expected an API key id (from `coffer apikeys list`)")
        }
        try await withVault(command, launch) { vault in
            try await vault.revokeAPIKey(id, tenant: tenant, actor: "cli")
            Output.result("API key \(id.rawValue) revoked")
        }
    }

    private static func tenantID(_ text: String, option: String) throws(ArgumentError) -> TenantID {
        guard let id = TenantID(validating: text) else {
            throw ArgumentError.invalidValue(option: option, value: text, reason: "expected a tenant id (from `coffer tenants list`)")
        }
        return id
    }
}
