import ArgumentParsing
import Foundation
import VaultCore

/// `coffer keys rotate` and `coffer keys status`.
enum KeysCommand {
    static func rotate(_ command: ParsedCommand) async throws {
        let batchSize = try command.int("batch-size") ?? 500
        guard batchSize > 0 else { throw CLIError.io("--batch-size must be positive") }
        try await withVault(command) { vault in
            let report = try await vault.rotateDataKey(actor: "cli", batchSize: batchSize) { kind, done in
                Output.result("re-encrypted \(done) \(kind.rawValue)")
            }
            Output.result("""
                data key v\(report.activeVersion) active\(report.resumed ? " (finished an interrupted rotation)" : ""); \
                \(summary(of: report.reencrypted)) re-encrypted
                """)
        }
    }

    static func status(_ command: ParsedCommand) async throws {
        try await withVault(command) { vault in
            for key in try await vault.dataKeyStatus() {
                let created = key.createdAt.formatted(.iso8601)
                Output.result("v\(key.version)\t\(key.isActive ? "active " : "retired")\t\(summary(of: key.records))\tcreated \(created)")
            }
        }
    }

    /// "0 records", or the total with each kind that has any, e.g. "12 records (10 cards, 2 accounts)",
    /// so an operator sees at a glance whether a retired version still holds anything.
    static func summary(of counts: [SealedRecordKind: Int]) -> String {
        let total = counts.values.reduce(0, +)
        let kinds = SealedRecordKind.allCases.compactMap { kind in counts[kind].map { "\($0) \(kind.rawValue)" } }
        return kinds.isEmpty ? "\(total) records" : "\(total) records (\(kinds.joined(separator: ", ")))"
    }
}

/// Opens the store and the vault with the command's data directory and master key, and closes
/// the store (flushing the writer) whatever the body does.
func withVault(_ command: ParsedCommand, _ body: (Vault) async throws -> Void) async throws {
    let directory = DataDirectory(path: try command.require("data-dir"))
    let masterKey = try MasterKeyLocation.resolve(option: command.string("master-key-file"), directory: directory).load()
    let storage = try await directory.openStorage()
    do {
        try await body(try await Vault.open(storage: storage, masterKey: masterKey))
    } catch {
        await storage.close()
        throw error
    }
    await storage.close()
}
