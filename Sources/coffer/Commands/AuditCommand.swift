import ArgumentParsing
import Foundation
import VaultCore
import VaultStore

/// `coffer audit verify | checkpoint | export | upgrade`. All need the master key: the chain is
/// keyed by an audit key wrapped under it, so only its holder can check — or forge — a MAC.
enum AuditCommand {
    /// Checks every MAC and sequence, and that the log still reaches every checkpoint in the data
    /// directory's checkpoint file and in each `--checkpoints FILE` (e.g. lines shipped to a log
    /// server). Opens the database read-only: verifying a copy kept as evidence never changes it.
    /// A PostgreSQL vault is read through an ordinary connection, beside live nodes.
    static func verify(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let location = try StorageLocation.given(command)
        var checkpoints = try checkpointFile(command, location)?.read() ?? []
        for path in command.strings("checkpoints") {
            checkpoints += try AuditCheckpointFile(url: URL(fileURLWithPath: path)).read()
        }
        let storage: any VaultStorage
        if let directory = location.dataDirectory {
            try directory.requireVault()
            storage = try SQLiteStorage.openReadOnly(path: directory.databasePath)
        } else {
            storage = try await location.openExisting()
        }
        let result: AuditChain.Verification
        do {
            let masterKey = try await MasterKeySource.resolve(command, launch, location: location).load()
            result = try await Vault.verifyAuditLog(storage: storage, masterKey: masterKey, checkpoints: checkpoints)
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
        switch result {
        case .intact(let entries, let checkpoints) where command.flag("json"):
            Output.json(["intact": true, "entries": entries, "checkpointsReached": checkpoints])
        case .intact(let entries, let checkpoints):
            Output.result("audit log intact: \(entries) entries, \(checkpoints) checkpoints reached")
        case .broken(let sequence, let reason):
            if command.flag("json") { Output.json(["intact": false, "brokenAt": sequence, "reason": reason.rawValue]) }
            throw CLIError.auditBroken(atSequence: sequence, reason: reason.rawValue)
        }
    }

    /// Gives a vault whose log predates the keyed chain its audit key, once (`AuditKeyError`).
    static func upgrade(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        var prefix: Int64 = 0
        try await withStorage(command, launch) { storage, masterKey in
            prefix = try await Vault.upgradeAuditChain(storage: storage, masterKey: masterKey)
        }
        Output.result("audit key created; the \(prefix) existing entries stay the unkeyed prefix, every new entry is keyed")
    }

    /// Seals the log's head now, appends it to the checkpoint file and prints it.
    static func checkpoint(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        guard let file = try checkpointFile(command, try StorageLocation.given(command)) else {
            throw ArgumentError.missingRequiredOption("--checkpoint-file (a PostgreSQL vault has no data directory to keep it in)")
        }
        try await withVault(command, launch) { vault in
            guard let checkpoint = try await vault.auditCheckpoint() else {
                Output.note("the audit log is empty: nothing to checkpoint")
                return
            }
            try file.append(checkpoint)
            Output.result(AuditJSONLines.line(checkpoint))
        }
    }

    /// Writes the entries after `--after` as JSON lines, then a checkpoint of the head they end at,
    /// to stdout or `--out FILE` (PCI DSS 10.3: ship the log off the host).
    static func export(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        let after = Int64(try command.int("after") ?? 0)
        guard after >= 0 else {
            throw ArgumentError.invalidValue(option: "--after", value: String(after), reason: "expected a sequence number, 0 or more")
        }
        let sink = try ExportSink(path: command.string("out"))
        try await withVault(command, launch) { vault in
            var position = after
            while true {
                let page = try await vault.auditEntries(after: position, limit: 1000)
                for entry in page { try sink.write(AuditJSONLines.line(entry)) }
                guard let last = page.last else { break }
                position = last.sequence
            }
            // Sealed after the walk: it names a head at or after the last entry written.
            if let checkpoint = try await vault.auditCheckpoint() { try sink.write(AuditJSONLines.line(checkpoint)) }
            try sink.finish()
            Output.note("exported the audit log after entry \(after) up to entry \(position)")
        }
    }

    /// `--checkpoint-file`, else the data directory's; nil for a PostgreSQL vault without one.
    static func checkpointFile(_ command: ParsedCommand, _ location: StorageLocation) throws -> AuditCheckpointFile? {
        command.string("checkpoint-file").map { AuditCheckpointFile(url: URL(fileURLWithPath: $0)) }
            ?? location.dataDirectory.map { .default(in: $0) }
    }
}

/// Standard output, or a new file synced to disk when done.
private final class ExportSink {
    private let handle: FileHandle
    private let isFile: Bool

    init(path: String?) throws {
        guard let path else {
            handle = .standardOutput
            isFile = false
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        isFile = true
    }

    func write(_ line: String) throws {
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }

    func finish() throws {
        if isFile { try handle.synchronize() }
    }
}
