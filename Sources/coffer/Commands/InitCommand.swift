import ArgumentParsing
import Foundation
import VaultCore

/// `coffer init`: a new vault — a data directory, or a PostgreSQL database — with its master key,
/// schema, first tenant and admin key.
enum InitCommand {
    static func run(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let location = try StorageLocation.given(command)
        guard case .directory(let directory) = location else {
            guard let source = try MasterKeySource.given(command, launch) else { throw CLIError.noMasterKey }
            let created = try await initialize(location, masterKey: source, tenantName: command.string("tenant-name") ?? "default")
            Output.json(["tenantId": created.id.rawValue, "apiKey": created.adminKey.secret])
            return
        }
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

        return try await createVault(in: try await StorageLocation.directory(directory).openNew(), masterKey: masterKey,
                                     tenantName: tenantName)
    }

    /// A PostgreSQL vault: the database exists (the operator made it and its role), the master key
    /// is given — a new key file is written where it is named, never into the database.
    static func initialize(_ location: StorageLocation, masterKey source: MasterKeySource,
                           tenantName: String) async throws -> CreatedTenant {
        let storage = try await location.openNew()
        let masterKey: MasterKey
        do {
            masterKey = try await source.loadOrCreate()
        } catch {
            await storage.close()
            throw error
        }
        return try await createVault(in: storage, masterKey: masterKey, tenantName: tenantName)
    }

    /// The vault's keys and its first tenant, whose admin key may also create further top-level
    /// tenants and read /metrics; closes `storage`.
    private static func createVault(in storage: any EngineStorage, masterKey: MasterKey, tenantName: String) async throws -> CreatedTenant {
        do {
            let vault = try await Vault.open(storage: storage, masterKey: masterKey)
            let tenant = try await vault.createTenant(name: tenantName, actor: "cli",
                                                      adminRoles: Role.tenantRoles.union(Role.operatorRoles))
            await storage.close()
            return tenant
        } catch {
            await storage.close()
            throw error
        }
    }
}
