import ArgumentParsing
import Foundation
import VaultCore
import VaultStore

/// `coffer backup` and `coffer restore`: a consistent snapshot of a running vault in one file
/// (`Snapshot`), and a new data directory made from one. Both need the master key: the backup
/// checks that the copy opens with it and seals its audit head; the restore refuses a snapshot
/// the key does not open. The snapshot never holds the key: keep the two apart (docs/operations.md).
/// A PostgreSQL vault is copied with PostgreSQL's own tools instead (`CLIError.backedUpByPostgreSQL`).
enum BackupCommand {
    /// Copies the database while the server goes on (`SQLiteStorage.backup`), checks the copy —
    /// it opens with the master key, its audit log is intact — and writes the snapshot to `--out`.
    /// Prints the manifest as one JSON object.
    static func backup(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        guard let directory = try StorageLocation.given(command).dataDirectory else { throw CLIError.backedUpByPostgreSQL }
        let out = URL(fileURLWithPath: try command.require("out"))
        try directory.requireVault()
        guard !FileManager.default.fileExists(atPath: out.path) else { throw CLIError.io("\(out.path) already exists; refusing to overwrite it") }
        let masterKey = try await MasterKeySource.resolve(command, launch, location: .directory(directory)).load()
        let copy = out.path + ".db-partial"
        defer { removeDatabase(at: copy) }
        let progress = Progress("copied")
        try SQLiteStorage.backup(databaseAt: directory.databasePath, to: copy) { copied, total in
            progress.report(copied, of: total, "pages")
        }
        progress.finish()
        Output.note("checking the copy: master key, audit log")
        let storage = try SQLiteStorage.openReadOnly(path: copy)
        let manifest: Snapshot.Manifest
        do {
            manifest = try await describe(storage, masterKey: masterKey, database: try mapped(copy))
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
        try Snapshot(manifest: manifest, database: try mapped(copy)).write(to: out)
        Output.json(manifest.json)
    }

    /// Makes `--data-dir` (which must not hold a vault) from the snapshot `--from`: checks its
    /// checksum, writes the database beside its final name, applies pending migrations, checks
    /// that the master key opens it and that its audit log is intact and reaches the sealed head,
    /// and only then moves it into place and records the head in the checkpoint file.
    static func restore(_ command: ParsedCommand, _ launch: LaunchEnvironment) async throws {
        guard let directory = try StorageLocation.given(command).dataDirectory else { throw CLIError.backedUpByPostgreSQL }
        let source = URL(fileURLWithPath: try command.require("from"))
        guard try !directory.holdsVault() else { throw CLIError.alreadyInitialized(directory.url.path) }
        let snapshot = try Snapshot(reading: source)
        Output.note("\(source.path): \(snapshot.manifest.databaseBytes) bytes, checksum verified")
        let masterKey = try await MasterKeySource.resolve(command, launch, location: .directory(directory)).load()
        try directory.create()
        let staged = directory.databasePath + ".restoring"
        defer { removeDatabase(at: staged) }
        do {
            try snapshot.database.write(to: URL(fileURLWithPath: staged), options: .withoutOverwriting)
        } catch {
            throw CLIError.io("cannot write \(staged): \(error.localizedDescription)")
        }
        let storage = try SQLiteStorage.open(path: staged)
        Output.note("checking the restored database: master key, audit log")
        let verification: AuditChain.Verification
        do {
            verification = try await Vault.verifyAuditLog(storage: storage, masterKey: masterKey,
                                                          checkpoints: snapshot.manifest.auditHead.map { [$0] } ?? [])
        } catch {
            await storage.close()
            throw error
        }
        await storage.close()
        if case .broken(let sequence, let reason) = verification {
            throw CLIError.snapshotRefused(source.path, reason: "its audit log is broken at entry \(sequence) (\(reason.rawValue))")
        }
        guard rename(staged, directory.databasePath) == 0 else {
            throw CLIError.io("cannot move \(staged) into place: \(String(cString: strerror(errno)))")
        }
        if let head = snapshot.manifest.auditHead { try AuditCheckpointFile.default(in: directory).append(head) }
        Output.result("restored \(directory.url.path) from \(source.path): schema \(snapshot.manifest.schema), audit head \(snapshot.manifest.auditHead.map { String($0.sequence) } ?? "empty")")
    }

    /// What the manifest says of a copy, read through a vault opened on it — which the master key
    /// must open — after checking its audit log.
    private static func describe(_ storage: SQLiteStorage, masterKey: MasterKey, database: Data) async throws -> Snapshot.Manifest {
        if case .broken(let sequence, let reason) = try await Vault.verifyAuditLog(storage: storage, masterKey: masterKey, checkpoints: []) {
            throw CLIError.auditBroken(atSequence: sequence, reason: reason.rawValue)
        }
        let vault = try await Vault.open(storage: storage, masterKey: masterKey)
        return Snapshot.Manifest(createdAt: Date(), schema: try SQLiteStorage.currentSchema(), dataKeys: try await vault.dataKeyStatus(),
                                 auditHead: try await vault.auditCheckpoint(), database: database)
    }

    private static func mapped(_ path: String) throws(CLIError) -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw .io("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// A database file and the journal files SQLite may leave beside it.
    private static func removeDatabase(at path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
    }
}
