import ArgumentParsing
import Executors
import Foundation
import VaultCore
import VaultStore

/// Where a vault lives, decided once for every command: a data directory (SQLite, the default)
/// or a PostgreSQL database shared by several nodes. With PostgreSQL there is no directory, so
/// nothing may default into one: the master key comes from a file, a command or the environment,
/// and the audit checkpoint file only from `--checkpoint-file`.
enum StorageLocation {
    case directory(DataDirectory)
    case postgreSQL(DatabaseURI)

    static let databaseVariable = "COFFER_DATABASE"

    /// `--data-dir` or `--database`, whichever comes from the more important layer (command line,
    /// environment, configuration file); `COFFER_DATABASE` for commands without such layers. Both
    /// on one layer are refused rather than one silently winning.
    static func given(_ command: ParsedCommand, environment: [String: String] = ProcessInfo.processInfo.environment,
                      defaultDirectory: String? = nil) throws -> StorageLocation {
        var command = command
        if command.source(of: "data-dir") != .commandLine, let uri = environment[databaseVariable] {
            try command.fill("database", with: uri, from: .environment(databaseVariable))
        }
        let directorySource = command.source(of: "data-dir"), databaseSource = command.source(of: "database")
        let directoryRank = directorySource.map(rank) ?? Int.max, databaseRank = databaseSource.map(rank) ?? Int.max
        if directoryRank == databaseRank, let directorySource {
            throw ArgumentError.invalidValue(option: "--database", value: DatabaseURI.masked(command.string("database") ?? ""),
                                             reason: "--data-dir (\(directorySource)) names another vault; give one of the two")
        }
        if databaseRank < directoryRank {
            return .postgreSQL(try DatabaseURI(try command.require("database")))
        }
        guard let path = command.string("data-dir") ?? defaultDirectory else {
            throw ArgumentError.missingRequiredOption("--data-dir or --database")
        }
        return .directory(DataDirectory(path: path))
    }

    /// Lower is more important.
    private static func rank(_ source: SettingSource) -> Int {
        switch source {
        case .commandLine: 0
        case .environment: 1
        case .file: 2
        case .defaultValue: 3
        }
    }

    var dataDirectory: DataDirectory? {
        if case .directory(let directory) = self { directory } else { nil }
    }

    /// The option naming this vault, as messages show it (the URI's password masked).
    var option: String {
        switch self {
        case .directory(let directory): "--data-dir \(directory.url.path)"
        case .postgreSQL(let uri): "--database \(uri)"
        }
    }

    /// The store of an existing vault, pending migrations applied. Fails before any master key is
    /// fetched when there is no vault, so a wrong location is not reported as a missing key.
    /// `replica` (PostgreSQL only) serves the reads that may lag (`coffer serve --read-database`).
    func openExisting(replica: DatabaseURI? = nil) async throws -> any EngineStorage {
        switch self {
        case .directory(let directory):
            return try await directory.openStorage()
        case .postgreSQL(let uri):
            let storage = try await uri.open(replica: replica)
            guard try await Vault.isInitialized(storage) else {
                await storage.close()
                throw CLIError.notInitialized(option)
            }
            return storage
        }
    }

    /// The store with pending migrations applied, for `coffer migrate`: a PostgreSQL database may
    /// be brought up to date before `coffer init`, e.g. by a role that owns the schema.
    func openForMigration() async throws -> any EngineStorage {
        switch self {
        case .directory(let directory): try await directory.openStorage()
        case .postgreSQL(let uri): try await uri.open()
        }
    }

    /// The store for a new vault; refused when one is there already.
    func openNew() async throws -> any EngineStorage {
        switch self {
        case .directory(let directory):
            return try await directory.openStorage(creating: true)
        case .postgreSQL(let uri):
            let storage = try await uri.open()
            guard try await !Vault.isInitialized(storage) else {
                await storage.close()
                throw CLIError.alreadyInitialized(uri.description)
            }
            return storage
        }
    }
}

/// A PostgreSQL connection URI (`postgresql://user:password@host:port/database?…`, libpq's
/// form), and the form of it that may be shown: the password masked, wherever it is written.
struct DatabaseURI: CustomStringConvertible, Sendable {
    let value: String

    init(_ text: String) throws(CLIError) {
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") else {
            throw .databaseUnreachable(Self.masked(text), reason: "not a PostgreSQL URI")
        }
        value = text
    }

    var description: String { Self.masked(value) }

    /// `text` with the password of its user information and any `password=` parameter replaced.
    static func masked(_ text: String) -> String {
        var masked = text
        if let scheme = masked.range(of: "://") {
            let authorityEnd = masked[scheme.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? masked.endIndex
            if let at = masked[scheme.upperBound..<authorityEnd].lastIndex(of: "@"),
               let colon = masked[scheme.upperBound..<at].firstIndex(of: ":") {
                masked.replaceSubrange(masked.index(after: colon)..<at, with: mask)
            }
        }
        return masked.replacing(#/(?i)(password\s*=\s*)('[^']*'|[^\s&]*)/#) { $0.output.1 + mask }
    }

    private static let mask = "********"

    /// Connects and applies pending migrations, on a thread of its own (libpq blocks). A URI
    /// libpq refuses or a server it cannot reach is a setting to fix (exit 78), not an outage of a
    /// vault that was running.
    func open(replica: DatabaseURI? = nil) async throws -> PostgreSQLStorage {
        do {
            return try await PosixThread.run(named: "coffer-pg-open") { [value] in
                try PostgreSQLStorage.open(uri: value, readURI: replica?.value)
            }
        } catch StorageError.unavailable(let reason) {
            throw CLIError.databaseUnreachable(description, reason: reason)
        }
    }
}

/// What the commands use of either engine beyond `VaultStorage`.
protocol EngineStorage: VaultStorage {
    var appliedMigrations: [String] { get }
    var writeStats: GroupCommitStats { get }
}

extension SQLiteStorage: EngineStorage {}
extension PostgreSQLStorage: EngineStorage {}
