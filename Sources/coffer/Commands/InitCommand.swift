import ArgumentParsing
import Foundation
import VaultCore

/// `coffer init`: a new data directory with its master key, database, first tenant and admin key.
enum InitCommand {
    static func run(_ command: ParsedCommand) async throws {
        let directory = DataDirectory(path: try command.require("data-dir"))
        guard !directory.isInitialized else { throw CLIError.alreadyInitialized(directory.url.path) }
        try directory.create()

        let location = MasterKeyLocation.resolve(option: command.string("master-key-file"), directory: directory)
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
        let tenant = try await vault.createTenant(name: command.string("tenant-name") ?? "default", actor: "cli")
        let key = try await vault.createAPIKey(tenant: tenant.id, roles: Set(Role.allCases),
                                               label: "admin (coffer init)", actor: "cli")
        await storage.close()
        Output.json(["tenantId": tenant.id.rawValue, "apiKey": key.secret])
    }
}
