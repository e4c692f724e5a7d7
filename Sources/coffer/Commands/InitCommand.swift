import ArgumentParsing
import Foundation
import VaultCore

/// `coffer init`: a new data directory with its master key, database, first tenant and admin key.
enum InitCommand {
    static func run(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let directory = DataDirectory(path: try command.require("data-dir"))
        let created = try await initialize(directory, masterKey: try MasterKeySource.given(command, launch),
                                           keyInDataDirectory: command.flag("master-key-in-data-dir"),
                                           tenantName: command.string("tenant-name") ?? "default")
        Output.json(["tenantId": created.id.rawValue, "apiKey": created.adminKey.secret])
    }

    /// Creates the directory, the master key (when it comes from a file that does not exist
    /// yet), the store and a first tenant. Without a source the key would go to
    /// `DIR/keys/master.key`, which — like any key file inside the directory — is refused, with
    /// nothing created, unless `keyInDataDirectory` (development).
    static func initialize(_ directory: DataDirectory, masterKey source: MasterKeySource?, keyInDataDirectory: Bool,
                           tenantName: String) async throws -> CreatedTenant {
        guard try !directory.holdsVault() else { throw CLIError.alreadyInitialized(directory.url.path) }
        let source = try (source ?? .file(directory.defaultMasterKeyURL))
            .refusingDataDirectory(directory, unless: keyInDataDirectory)
        let masterKey: MasterKey
        if let newKeyFile = source.fileToCreate {
            try directory.create(with: directory.contains(newKeyFile) ? [newKeyFile.deletingLastPathComponent()] : [])
            masterKey = try await source.loadOrCreate()
        } else {
            // A key from elsewhere is fetched before anything is created, so a failing command leaves nothing behind.
            masterKey = try await source.load()
            try directory.create()
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
