import ArgumentParsing
import Foundation
import VaultCore

/// `coffer init`: a new data directory with its master key, database, first tenant and admin key.
enum InitCommand {
    static func run(_ command: ParsedCommand) async throws {
        let directory = DataDirectory(path: try command.require("data-dir"))
        let created = try await initialize(directory, masterKeyOption: command.string("master-key-file"),
                                           tenantName: command.string("tenant-name") ?? "default")
        Output.json(["tenantId": created.id.rawValue, "apiKey": created.adminKey.secret])
    }

    /// Creates the directory, the master key (unless one is given), the store and a first tenant.
    static func initialize(_ directory: DataDirectory, masterKeyOption: String?,
                           tenantName: String) async throws -> CreatedTenant {
        guard !directory.isInitialized else { throw CLIError.alreadyInitialized(directory.url.path) }
        try directory.create()

        let location = MasterKeyLocation.resolve(option: masterKeyOption, directory: directory)
        let masterKey: MasterKey
        switch location {
        case .environment:
            masterKey = try location.load()
        case .file(let url):
            if FileManager.default.fileExists(atPath: url.path) {
                masterKey = try location.load()
                Output.note("using the existing master key at \(url.path)")
            } else {
                masterKey = MasterKey.generate()
                try masterKey.write(to: url)
                Output.note("created master key \(url.path) (mode 0600): back it up, and keep it off this volume in production")
            }
        }

        let storage = try await directory.openStorage(creating: true)
        let vault = try await Vault.open(storage: storage, masterKey: masterKey)
        // The one key that may create further top-level tenants and read /metrics.
        let tenant = try await vault.createTenant(name: tenantName, actor: "cli",
                                                  adminRoles: Role.tenantRoles.union(Role.operatorRoles))
        await storage.close()
        return tenant
    }
}
