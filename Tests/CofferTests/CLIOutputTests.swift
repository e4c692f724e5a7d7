import Foundation
import TestSupport
import Testing
import VaultCore

/// What long commands show while they run, and the `--json` forms of `keys status` and `audit verify`.
@Suite("Command output: progress and JSON", .ownThreads)
struct CLIOutputTests {
    /// A vault in `directory` holding three cards.
    private static func vaultWithThreeCards(_ directory: TemporaryDirectory) async throws -> String {
        let (dataDir, tenant, _) = try await CofferCommandTests.initialize(directory)
        let (storage, vault) = try await CofferCommandTests.openVault(dataDir)
        for index in 0..<3 { _ = try await vault.tokenize(TestPAN.card(index), tenant: tenant, caller: .admin(of: tenant), actor: "test") }
        await storage.close()
        return dataDir
    }

    @Test("On a terminal, keys rotate rewrites one progress line in place with count, total and percent")
    func progressOnATerminal() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = try await Self.vaultWithThreeCards(directory)
        // `script` runs the command on a pseudo-terminal, as an operator's shell would.
        let command = "\(ProcessRunner.cofferPath) keys rotate --data-dir \(dataDir) --batch-size 1"
        let result = try await ProcessRunner.run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(result.status == 0, "\(result.standardOutput)")
        for done in 1...3 {
            #expect(result.standardOutput.contains("\r\u{1B}[Kre-encrypted \(done)/3 cards (\(done * 100 / 3)%"), "\(result.standardOutput)")
        }
        #expect(!result.standardOutput.contains("re-encrypted 1/3 cards (33%)\n"), "the line is rewritten, not repeated")
        #expect(result.standardOutput.contains("data key v2 active; 3 records (3 cards) re-encrypted"))
    }

    @Test("keys status --json and audit verify --json: one JSON object each")
    func jsonOutput() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = try await Self.vaultWithThreeCards(directory)
        let status = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--json"])
        #expect(status.status == 0, "\(status.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [String: Any])
        let keys = try #require(object["dataKeys"] as? [[String: Any]])
        #expect(keys.count == 1 && keys[0]["version"] as? Int == 1 && keys[0]["active"] as? Bool == true)
        #expect((keys[0]["records"] as? [String: Int])?["cards"] == 3)
        #expect(object["masterKeyRotationInProgress"] as? Bool == false)

        let verify = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir, "--json"])
        #expect(verify.status == 0, "\(verify.standardError)")
        let verified = try #require(try JSONSerialization.jsonObject(with: Data(verify.standardOutput.utf8)) as? [String: Any])
        #expect(verified["intact"] as? Bool == true && (verified["entries"] as? Int ?? 0) >= 5, "\(verified)")
    }

    @Test("backup shows the pages it copied on stderr, keeping stdout for the manifest")
    func backupProgress() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = try await Self.vaultWithThreeCards(directory)
        let backup = try await ProcessRunner.coffer(["backup", "--data-dir", dataDir, "--out", directory.path("s")])
        #expect(backup.status == 0, "\(backup.standardError)")
        #expect(backup.standardError.contains(#/copied (\d+)/\1 pages \(100%\)/#), "\(backup.standardError)")
        #expect((try? JSONSerialization.jsonObject(with: Data(backup.standardOutput.utf8))) is [String: Any])
    }
}
