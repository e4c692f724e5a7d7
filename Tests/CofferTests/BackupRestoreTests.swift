import Foundation
import Synchronization
import TestSupport
import VaultCrypto
import Testing

/// `coffer backup` beside a live server under load, and `coffer restore` refusing what it must.
@Suite("Backup and restore", .serialized, .ownThreads)
struct BackupRestoreTests {
    private static func environment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
    }

    /// A vault made by `coffer init` in a new directory: its paths and credentials.
    private struct InitializedVault {
        let directory: TemporaryDirectory
        let dataDir: String
        let masterKey: String
        let credentials: (apiKey: String, tenantID: String)

        init() async throws {
            directory = try TemporaryDirectory()
            dataDir = directory.path("data")
            masterKey = directory.path("master.key")
            let initialized = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", masterKey],
                                                             environment: BackupRestoreTests.environment())
            #expect(initialized.status == 0, "\(initialized.standardError)")
            let printed = try #require(try JSONSerialization.jsonObject(with: Data(initialized.standardOutput.utf8)) as? [String: String])
            credentials = (try #require(printed["apiKey"]), try #require(printed["tenantId"]))
        }

        func coffer(_ arguments: [String]) async throws -> ProcessResult {
            try await ProcessRunner.coffer(arguments + ["--master-key-file", masterKey], environment: BackupRestoreTests.environment())
        }

        func serve(_ dataDir: String) async throws -> ServerProcess {
            try await ServerProcess(serving: directory, dataDir: dataDir, arguments: ["--master-key-file", masterKey],
                                    credentials: credentials, environment: BackupRestoreTests.environment())
        }
    }

    /// What the load's clients share: whether to stop, and the tokens acknowledged so far.
    private final class Load: Sendable {
        private let stopped = Atomic<Bool>(false)
        private let tokens = Mutex<[(index: Int, token: String)]>([])
        var isStopped: Bool { stopped.load(ordering: .relaxed) }
        func stop() { stopped.store(true, ordering: .relaxed) }
        func acknowledge(_ index: Int, _ token: String) { tokens.withLock { $0.append((index, token)) } }
        var acknowledged: [(index: Int, token: String)] { tokens.withLock { $0 } }
    }

    private static func tokenize(_ server: ServerProcess, _ index: Int) async throws -> String? {
        let created = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"\#(TestPAN.make(index))"}"#,
                                               key: server.apiKey)
        return created.status == 201 ? created.json?["token"] as? String : nil
    }

    @Test("A backup taken under tokenize load restores elsewhere: every token acknowledged before it reveals, audit verify passes")
    func backupUnderLoad() async throws {
        let vault = try await InitializedVault()
        let server = try await vault.serve(vault.dataDir)
        var acknowledged: [(index: Int, token: String)] = []
        for index in 0..<20 { acknowledged.append((index, try #require(try await Self.tokenize(server, index)))) }

        // Four clients keep tokenizing while the backup runs; what they had acknowledged when it
        // started must be in it too.
        let load = Load()
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<4 {
                    group.addTask {
                        var index = 1_000 * (client + 1)
                        while !load.isStopped {
                            if let token = try? await Self.tokenize(server, index) { load.acknowledge(index, token) }
                            index += 1
                        }
                    }
                }
            }
        }
        #expect(await waitUntil(within: .seconds(60)) { load.acknowledged.count >= 20 })
        acknowledged += load.acknowledged
        let snapshot = vault.directory.path("vault.snapshot")
        let backup = try await vault.coffer(["backup", "--data-dir", vault.dataDir, "--out", snapshot])
        let beforeStop = load.acknowledged.count
        load.stop()
        await clients.value
        #expect(backup.status == 0, "\(backup.standardError)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(backup.standardOutput.utf8)) as? [String: Any])
        #expect((manifest["auditHead"] as? [String: Any])?["sequence"] as? Int ?? 0 >= 20, "\(manifest)")
        #expect(manifest["dataKeyVersions"] as? [Int] == [1] && (manifest["sha256"] as? String)?.count == 64)
        #expect(beforeStop > acknowledged.count - 20, "the load ran during the backup")
        #expect(await server.stop() == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        for index in 0..<20 { #expect(bytes.range(of: Data(TestPAN.make(index).utf8)) == nil, "no PAN in the snapshot") }

        let restoredDir = vault.directory.path("restored")
        let restored = try await vault.coffer(["restore", "--data-dir", restoredDir, "--from", snapshot])
        #expect(restored.status == 0, "\(restored.standardError)")
        let verified = try await vault.coffer(["audit", "verify", "--data-dir", restoredDir])
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput.contains("1 checkpoints reached"), "the snapshot's sealed head: \(verified.standardOutput)")

        let again = try await vault.serve(restoredDir)
        for (index, token) in acknowledged {
            let revealed = try await again.request("POST", "/vault/v1/cards/\(token)/reveal", key: again.apiKey)
            #expect(revealed.json?["number"] as? String == TestPAN.make(index), "token \(index): \(revealed.body)")
        }
        #expect(try await Self.tokenize(again, 99_999) != nil, "the restored vault takes writes")
        #expect(await again.stop() == 0)
    }

    @Test("A changed byte, a forged audit head, another master key or an occupied directory: refused, nothing restored")
    func refusals() async throws {
        let vault = try await InitializedVault()
        let server = try await vault.serve(vault.dataDir)
        _ = try #require(try await Self.tokenize(server, 1))
        #expect(await server.stop() == 0)
        let snapshot = vault.directory.path("vault.snapshot")
        #expect(try await vault.coffer(["backup", "--data-dir", vault.dataDir, "--out", snapshot]).status == 0)
        let original = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        let lines = original.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        let databaseStart = original.count - lines[2].count

        func restore(_ bytes: Data, _ name: String) async throws -> (ProcessResult, holdsVault: Bool) {
            let file = vault.directory.path("\(name).snapshot"), target = vault.directory.path(name)
            try bytes.write(to: URL(fileURLWithPath: file))
            let result = try await vault.coffer(["restore", "--data-dir", target, "--from", file])
            return (result, FileManager.default.fileExists(atPath: target + "/coffer.db"))
        }

        var flipped = original
        flipped[databaseStart + 5_000] ^= 0x01
        let (changed, changedRestored) = try await restore(flipped, "flipped")
        #expect(changed.status == 65 && !changedRestored, "\(changed.standardError)")
        #expect(changed.standardError.contains("SHA-256"), "\(changed.standardError)")
        let (truncated, truncatedRestored) = try await restore(original.prefix(original.count - 10), "truncated")
        #expect(truncated.status == 65 && !truncatedRestored, "\(truncated.standardError)")

        // The database and its checksum agree, but the manifest's audit head is not one the audit key sealed.
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(lines[1])) as? [String: Any])
        var head = try #require(manifest["auditHead"] as? [String: Any])
        head["seal"] = Base64URL.encode(Array(repeating: 7, count: 32))
        manifest["auditHead"] = head
        let forged = Data("coffer-snapshot 1\n".utf8) + (try JSONSerialization.data(withJSONObject: manifest, options: .sortedKeys))
            + Data("\n".utf8) + Data(lines[2])
        let (forgedHead, forgedRestored) = try await restore(forged, "forged")
        #expect(forgedHead.status == 65 && !forgedRestored, "\(forgedHead.standardError)")

        let other = try await InitializedVault()
        let otherFile = vault.directory.path("other.snapshot")
        try original.write(to: URL(fileURLWithPath: otherFile))
        let wrongKey = try await other.coffer(["restore", "--data-dir", other.directory.path("restored"), "--from", otherFile])
        #expect(wrongKey.status == 78, "\(wrongKey.standardError)")
        #expect(!FileManager.default.fileExists(atPath: other.directory.path("restored/coffer.db")))

        let occupied = try await vault.coffer(["restore", "--data-dir", vault.dataDir, "--from", snapshot])
        #expect(occupied.status == 1 && occupied.standardError.contains("already holds a vault"), "\(occupied.standardError)")
    }
}
