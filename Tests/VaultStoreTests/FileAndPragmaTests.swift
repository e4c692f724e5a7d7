import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

@Suite(.ownThreads) struct FileAndPragmaTests {
    struct Pragmas: Sendable, Equatable {
        var journalMode: String?
        var synchronous: Int64?
        var foreignKeys: Int64?
        var secureDelete: Int64?
        var busyTimeout: Int64?
    }

    func pragmas(_ storage: SQLiteStorage) async throws -> Pragmas {
        try await storage.withWriteConnection { connection in
            func integer(_ sql: String) throws -> Int64? { try connection.queryFirst(sql) { $0.int64(0) } }
            return Pragmas(journalMode: try connection.singleText("PRAGMA journal_mode"),
                           synchronous: try integer("PRAGMA synchronous"),
                           foreignKeys: try integer("PRAGMA foreign_keys"),
                           secureDelete: try integer("PRAGMA secure_delete"),
                           busyTimeout: try integer("PRAGMA busy_timeout"))
        }
    }

    @Test func pragmasAreInEffect() async throws {
        let directory = try ScratchDirectory()
        let storage = try SQLiteStorage.open(path: directory.database)
        #expect(try await pragmas(storage) == Pragmas(journalMode: "wal", synchronous: 2, foreignKeys: 1,
                                                      secureDelete: 1, busyTimeout: 5_000))
        await storage.close()

        let benchmark = try SQLiteStorage.open(path: directory.database, synchronous: .normal)
        #expect(try await pragmas(benchmark).synchronous == 1)
        await benchmark.close()
    }

    @Test func databaseWALAndSHMAreOwnerOnly() async throws {
        let directory = try ScratchDirectory()
        let (storage, tenant) = try await openWithTenant(directory.database)
        try await storage.write { try $0.insertCard(Sample.card(tenant: tenant)) }
        _ = try await storage.read { try $0.cardCount() }
        for suffix in ["", "-wal", "-shm"] {
            let mode = FilePermissions.mode(of: directory.database + suffix)
            #expect(mode.map { $0 & 0o777 } == 0o600, "coffer.db\(suffix) has mode \(String(mode ?? 0, radix: 8))")
        }
        await storage.close()
    }

    @Test func anExistingWiderDatabaseFileIsTightened() async throws {
        let directory = try ScratchDirectory()
        #expect(FileManager.default.createFile(atPath: directory.database, contents: nil,
                                               attributes: [.posixPermissions: 0o644]))
        let storage = try SQLiteStorage.open(path: directory.database)
        #expect(FilePermissions.mode(of: directory.database).map { $0 & 0o777 } == 0o600)
        await storage.close()
    }

    /// SQLite's own "unable to open database file" says neither which file nor why.
    @Test func aDatabaseThatCannotBeOpenedIsNamedWithTheSystemsReason() throws {
        let directory = try ScratchDirectory()
        let missing = directory.path("missing.db")
        #expect {
            _ = try SQLiteConnection.open(path: missing, mode: .readOnly)
        } throws: { error in
            guard case .unavailable(let message) = error as? StorageError else { return false }
            return message == "\(missing): cannot open the database: unable to open database file (No such file or directory)"
        }
    }

    @Test func deletedCiphertextIsOverwrittenOnDisk() async throws {
        let directory = try ScratchDirectory()
        // A recognisable 48-byte ciphertext.
        let pattern = Array("COFFER-SECURE-DELETE-PATTERN-0123456789abcdefXYZ".utf8)
        #expect(pattern.count == 48)
        let (storage, tenant) = try await openWithTenant(directory.database)
        let card = Sample.card(tenant: tenant, ciphertext: pattern)
        try await storage.write { try $0.insertCard(card) }
        await storage.close()
        // Control: after close (checkpoint), the bytes are in the database file.
        #expect(fileBytes(directory.database)?.contains(subsequence: pattern) == true)

        let reopened = try SQLiteStorage.open(path: directory.database)
        #expect(try await reopened.write { try $0.deleteCard(card.token, tenant: tenant) })
        await reopened.close()
        for suffix in ["", "-wal"] {
            if let bytes = fileBytes(directory.database + suffix) {
                #expect(!bytes.contains(subsequence: pattern), "ciphertext still in coffer.db\(suffix)")
            }
        }
    }

    @Test func closeCheckpointsAndRemovesTheWAL() async throws {
        let directory = try ScratchDirectory()
        let (storage, tenant) = try await openWithTenant(directory.database)
        try await storage.write { try $0.insertCard(Sample.card(tenant: tenant)) }
        #expect(FilePermissions.exists(directory.database + "-wal"))
        await storage.close()
        let walSize = (try? FileManager.default.attributesOfItem(atPath: directory.database + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0)
    }
}
