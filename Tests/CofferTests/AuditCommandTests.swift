import Foundation
import TestSupport
import Testing
import VaultCore

/// `coffer audit checkpoint | export | verify`, run as an operator would, against an attacker who
/// can write the database file but holds neither the master key nor the checkpoints kept elsewhere.
@Suite("Audit checkpoints and export", .ownThreads)
struct AuditCommandTests {
    /// A vault whose audit log holds init's entries and those of `cards` cards tokenized and
    /// revealed; returns how many entries that made.
    private func vault(cards: Int) async throws -> (TemporaryDirectory, String, entries: Int) {
        let directory = try TemporaryDirectory()
        let (dataDir, tenant, _) = try await CofferCommandTests.initialize(directory)
        let (storage, vault) = try await CofferCommandTests.openVault(dataDir)
        for index in 0..<cards {
            let token = try await vault.tokenize(TestPAN.card(index), tenant: tenant, caller: .admin(of: tenant), actor: "test").metadata.token
            _ = try await vault.reveal(token, tenant: tenant, caller: .admin(of: tenant), actor: "test")
        }
        let entries = try await vault.auditEntries(after: 0, limit: 1000).count
        await storage.close()
        return (directory, dataDir, entries)
    }

    private func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test("A tail cut after a checkpoint fails audit verify (exit 65) naming the first missing entry")
    func aCutTailIsCaught() async throws {
        let (directory, dataDir, entries) = try await vault(cards: 3)
        defer { withExtendedLifetime(directory) {} }
        let checkpoint = try await ProcessRunner.coffer(["audit", "checkpoint", "--data-dir", dataDir])
        #expect(checkpoint.status == 0, "\(checkpoint.standardError)")
        let head = try #require(try lines(checkpoint.standardOutput).first)
        #expect(head["type"] as? String == "checkpoint" && head["sequence"] as? Int == entries)
        let file = try String(contentsOfFile: dataDir + "/audit-checkpoints.jsonl", encoding: .utf8)
        #expect(file == checkpoint.standardOutput, "the checkpoint printed is the one appended")

        let intact = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(intact.status == 0 && intact.standardOutput == "audit log intact: \(entries) entries, 1 checkpoints reached\n",
                "\(intact.standardOutput)\(intact.standardError)")

        try await AuditTampering.execute(database: dataDir + "/coffer.db", "DELETE FROM audit_log WHERE sequence >= \(entries - 2)")
        let cut = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(cut.status == 65)
        #expect(cut.standardError.contains("entry \(entries - 2) is missing: the log ends before a checkpoint"), "\(cut.standardError)")
    }

    @Test("A deleted middle entry fails audit verify naming it")
    func aDeletedMiddleEntryIsCaught() async throws {
        let (directory, dataDir, _) = try await vault(cards: 2)
        defer { withExtendedLifetime(directory) {} }
        try await AuditTampering.execute(database: dataDir + "/coffer.db", "DELETE FROM audit_log WHERE sequence = 3")
        let result = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(result.status == 65)
        #expect(result.standardError.contains("entry 3 is missing"), "\(result.standardError)")
    }

    @Test("An edited entry with the chain recomputed the unkeyed way fails audit verify")
    func anEditRecomputedUnkeyedIsCaught() async throws {
        let (directory, dataDir, _) = try await vault(cards: 2)
        defer { withExtendedLifetime(directory) {} }
        // What an attacker could do to the unkeyed SHA-256 chain: edit entry 4, recompute from there.
        try await AuditTampering.rewriteUnkeyed(database: dataDir + "/coffer.db", from: 4,
                                          after: "UPDATE audit_log SET actor = 'someone-else' WHERE sequence = 4")
        let verify = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(verify.status == 65)
        #expect(verify.standardError.contains("entry 4 is unkeyed where the chain is keyed"), "\(verify.standardError)")
    }

    @Test("audit export writes every entry and a sealed head as JSON lines; a log server's copy catches a cut tail")
    func exportShipsEntriesAndHead() async throws {
        let (directory, dataDir, entries) = try await vault(cards: 2)
        defer { withExtendedLifetime(directory) {} }
        let out = directory.path("shipped.jsonl")
        let export = try await ProcessRunner.coffer(["audit", "export", "--data-dir", dataDir, "--out", out])
        #expect(export.status == 0, "\(export.standardError)")
        #expect(try CofferCommandTests.mode(out) == 0o600)
        let shipped = try lines(try String(contentsOfFile: out, encoding: .utf8))
        let rows = shipped.filter { $0["type"] as? String == "entry" }
        #expect(rows.map { $0["sequence"] as? Int } == Array(1...entries))
        #expect(rows.last?["action"] as? String == "card.reveal" && rows.last?["source"] is NSNull)
        // Each entry links to the one before, as shipped.
        for (previous, entry) in zip(rows, rows.dropFirst()) {
            #expect(entry["previousMac"] as? String == previous["mac"] as? String)
        }
        #expect(shipped.last?["type"] as? String == "checkpoint" && shipped.last?["sequence"] as? Int == entries)

        let resumed = try await ProcessRunner.coffer(["audit", "export", "--data-dir", dataDir, "--after", "\(entries - 2)"])
        #expect(try lines(resumed.standardOutput).compactMap { $0["sequence"] as? Int } == [entries - 1, entries, entries])

        // The attacker cut the tail and deleted the local checkpoint file: the shipped copy still knows.
        try await AuditTampering.execute(database: dataDir + "/coffer.db", "DELETE FROM audit_log WHERE sequence >= \(entries - 1)")
        try? FileManager.default.removeItem(atPath: dataDir + "/audit-checkpoints.jsonl")
        #expect(try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir]).status == 0)
        let verify = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir, "--checkpoints", out])
        #expect(verify.status == 65)
        #expect(verify.standardError.contains("entry \(entries - 1) is missing: the log ends before a checkpoint"),
                "\(verify.standardError)")
    }

    @Test("coffer serve checkpoints the audit log when it stops")
    func serveCheckpointsAtShutdown() async throws {
        let server = try await ServerProcess()
        let card = try await server.request("POST", "/vault/v1/cards", body: #"{"number": "4111111111111111"}"#, key: server.apiKey)
        #expect(card.status == 201)
        #expect(await server.stop() == 0)
        let dataDir = server.directory.path("data")
        let checkpoints = try lines(try String(contentsOfFile: dataDir + "/audit-checkpoints.jsonl", encoding: .utf8))
        let (storage, vault) = try await CofferCommandTests.openVault(dataDir)
        let last = try await vault.auditEntries(after: 0, limit: 1000).last
        await storage.close()
        #expect(checkpoints.count == 1, "one checkpoint, at shutdown")
        #expect(checkpoints.last?["sequence"] as? Int == last.map { Int($0.sequence) })
        let verify = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(verify.status == 0 && verify.standardOutput.hasSuffix(" entries, 1 checkpoints reached\n"),
                "\(verify.standardOutput)")
    }
}
