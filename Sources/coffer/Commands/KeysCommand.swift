import ArgumentParsing
import Foundation
import VaultCore

/// `coffer keys rotate | status | retire | rotate-master`.
enum KeysCommand {
    static func rotate(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let batchSize = try batchSize(command)
        try await withVault(command, launch) { vault in
            let totals = try await recordsToReencrypt(vault)
            let progress = Progress("re-encrypted")
            let report = try await vault.rotateDataKey(actor: "cli", batchSize: batchSize) { kind, done in
                progress.report(done, of: totals[kind], kind.rawValue)
            }
            progress.finish()
            Output.result("""
                data key v\(report.activeVersion) active\(report.resumed ? " (finished an interrupted rotation)" : ""); \
                \(summary(of: report.reencrypted)) re-encrypted
                """)
        }
    }

    /// What a rotation will re-encrypt, by kind: the records sealed under older versions when
    /// one was interrupted, else every record.
    private static func recordsToReencrypt(_ vault: Vault) async throws -> [SealedRecordKind: Int] {
        let keys = try await vault.dataKeyStatus()
        let older = keys.filter { !$0.isActive }.map(\.records)
        let pending = older.contains { !$0.isEmpty }
        return (pending ? older : keys.map(\.records)).reduce(into: [:]) { totals, records in
            totals.merge(records, uniquingKeysWith: +)
        }
    }

    static func status(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        try await withVault(command, launch) { vault in
            let keys = try await vault.dataKeyStatus(consistency: .replica)
            if command.flag("json") {
                Output.json([
                    "dataKeys": keys.map { key -> [String: any Sendable] in
                        ["version": key.version, "active": key.isActive, "createdAt": key.createdAt.formatted(.iso8601),
                         "records": Dictionary(uniqueKeysWithValues: key.records.map { ($0.key.rawValue, $0.value) })]
                    },
                    "masterKeyRotationInProgress": try await vault.isMasterKeyRotationInProgress(),
                ])
                return
            }
            for key in keys {
                let created = key.createdAt.formatted(.iso8601)
                Output.result("v\(key.version)\t\(key.isActive ? "active " : "retired")\t\(summary(of: key.records))\tcreated \(created)")
            }
            if try await vault.isMasterKeyRotationInProgress() {
                Output.result("master key rotation in progress: the previous master key still opens this vault until `coffer keys rotate-master --finish`")
            }
        }
    }

    static func retire(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let text = try command.require("version")
        guard let version = Int(text), version > 0 else {
            throw ArgumentError.invalidValue(option: "--version", value: text, reason: "expected a data-key version, e.g. 1")
        }
        try await withVault(command, launch) { vault in
            try await vault.retireDataKey(version: version, actor: "cli")
            Output.result("data key v\(version) destroyed")
        }
    }

    /// Without `--finish`: rewraps every key under the new master key (begun, or resumed).
    /// With it: run with the new key, retires the old one.
    static func rotateMaster(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let batchSize = try batchSize(command)
        let progress: @Sendable (WrappedKeyKind, Int) -> Void = { kind, done in Output.result("rewrapped \(done) \(kind.rawValue)") }
        let newKey = try MasterKeySource.named(by: command, prefix: "new-master-key")
        if command.flag("finish") {
            guard newKey == nil else {
                throw CLIError.io("--finish takes no new key: run it with the new key as the master key (--master-key-file, …)")
            }
            try await withVault(command, launch) { vault in
                guard let report = try await vault.finishMasterKeyRotation(actor: "cli", batchSize: batchSize, progress: progress) else {
                    Output.result("no master-key rotation in progress: nothing to finish")
                    return
                }
                Output.result("master-key rotation finished; \(summary(of: report)) rewrapped; the previous master key opens nothing any more")
            }
            return
        }
        let directory = try StorageLocation.given(command).dataDirectory
        guard let source = try newKey?.refusingDataDirectory(directory, unless: command.flag("master-key-in-data-dir")) else {
            throw ArgumentError.missingRequiredOption("--new-master-key-file or --new-master-key-command")
        }
        try await withVault(command, launch) { vault in
            let report = try await vault.rotateMasterKey(to: try await source.loadOrCreate(), actor: "cli",
                                                         batchSize: batchSize, progress: progress)
            Output.result("""
                master key rotated\(report.resumed ? " (finished an interrupted run)" : ""); \(summary(of: report)) rewrapped. \
                Restart every server with the new key, then run `coffer keys rotate-master --finish` with it: \
                until then the previous master key still opens this vault.
                """)
        }
    }

    private static func batchSize(_ command: ParsedCommand) throws -> Int {
        let batchSize = try command.int("batch-size") ?? 500
        guard batchSize > 0 else {
            throw ArgumentError.invalidValue(option: "--batch-size", value: String(batchSize), reason: "expected a positive number")
        }
        return batchSize
    }

    /// "0 records", or the total with each kind that has any, e.g. "12 records (10 cards, 2 accounts)",
    /// so an operator sees at a glance whether a retired version still holds anything.
    static func summary(of counts: [SealedRecordKind: Int]) -> String {
        let total = counts.values.reduce(0, +)
        let kinds = SealedRecordKind.allCases.compactMap { kind in counts[kind].map { "\($0) \(kind.rawValue)" } }
        return kinds.isEmpty ? "\(total) records" : "\(total) records (\(kinds.joined(separator: ", ")))"
    }

    /// "0 keys", or e.g. "5 keys (1 data keys, 4 fingerprint keys) and the audit key".
    static func summary(of report: MasterKeyRotationReport) -> String {
        let total = report.rewrapped.values.reduce(0, +)
        let kinds = WrappedKeyKind.allCases.compactMap { kind in report.rewrapped[kind].map { "\($0) \(kind.rawValue)" } }
        return (kinds.isEmpty ? "\(total) keys" : "\(total) keys (\(kinds.joined(separator: ", ")))")
            + (report.rewrappedAuditKey ? " and the audit key" : "")
    }
}

/// Opens the store and the vault with the command's location (`StorageLocation`) and master key,
/// and closes the store (flushing the writer) whatever the body does.
func withVault(_ command: ParsedCommand, _ launch: LaunchEnvironment, _ body: (Vault) async throws -> Void) async throws {
    try await withStorage(command, launch) { storage, masterKey in
        try await body(try await Vault.open(storage: storage, masterKey: masterKey))
    }
}

/// Opens the store of an existing vault, then fetches the master key (a wrong location is not
/// reported as a missing key), and closes the store whatever the body does.
func withStorage(_ command: ParsedCommand, _ launch: LaunchEnvironment,
                 _ body: (any EngineStorage, MasterKey) async throws -> Void) async throws {
    let location = try StorageLocation.given(command)
    let storage = try await location.openExisting()
    do {
        try await body(storage, try await MasterKeySource.resolve(command, launch, location: location).load())
    } catch {
        await storage.close()
        throw error
    }
    await storage.close()
}
