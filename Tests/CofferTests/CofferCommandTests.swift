import Foundation
import TestSupport
import Testing
import VaultCore
import VaultCrypto
import VaultStore

@Suite("The coffer command line, run as a user would", .ownThreads)
struct CofferCommandTests {
    /// `coffer init` into a fresh directory, its master key kept inside it (`openVault` reads it
    /// there); returns the printed tenant id and API key.
    static func initialize(_ directory: TemporaryDirectory) async throws -> (dataDir: String, tenant: TenantID, apiKey: String) {
        let dataDir = directory.path("data")
        let result = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-in-data-dir"])
        #expect(result.status == 0, "\(result.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: String]
        let tenant = try #require(object?["tenantId"].flatMap(TenantID.init(validating:)))
        let apiKey = try #require(object?["apiKey"])
        return (dataDir, tenant, apiKey)
    }

    /// The store and vault `init` made in `dataDir`, opened in this process as the server would.
    static func openVault(_ dataDir: String) async throws -> (storage: SQLiteStorage, vault: Vault) {
        let storage = try SQLiteStorage.open(path: dataDir + "/coffer.db")
        let masterKey = try MasterKey.load(from: URL(fileURLWithPath: dataDir + "/keys/master.key"))
        return (storage, try await Vault.open(storage: storage, masterKey: masterKey, clock: { TestClock.start }))
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
    }

    @Test("init prints exactly one JSON object, and every file is its owner's only")
    func initCreatesPrivateFiles() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = directory.path("data")
        let result = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-in-data-dir"])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(Set(object.keys) == ["tenantId", "apiKey"])
        #expect(object["apiKey"]!.hasPrefix("ck_"))

        #expect(try Self.mode(dataDir) == 0o700)
        #expect(try Self.mode(dataDir + "/keys") == 0o700)
        for file in try FileManager.default.subpathsOfDirectory(atPath: dataDir) {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: dataDir + "/" + file, isDirectory: &isDirectory)
            if !isDirectory.boolValue { #expect(try Self.mode(dataDir + "/" + file) == 0o600, "\(file)") }
        }

        // The API key works against the store init made, with every role.
        let (storage, vault) = try await Self.openVault(dataDir)
        let principal = try await vault.authenticate(apiKey: object["apiKey"]!, actor: "test")
        #expect(principal.tenantID.rawValue == object["tenantId"])
        #expect(principal.roles == Set(Role.allCases))
        await #expect { try await vault.authenticate(apiKey: "ck_wrong", actor: "test") } throws: {
            ($0 as? AuthenticationRefusal)?.cause == .malformedCredential
        }
        let last = try await storage.read { try $0.auditEntries(after: 0, limit: 100) }.last
        #expect(last?.event.action == .authenticationFailure, "a failed authentication is audited")
        #expect(last?.event.outcome == .failure)
        await storage.close()

        let again = try await ProcessRunner.coffer(["init", "--data-dir", dataDir])
        #expect(again.status == 1)
        #expect(again.standardOutput.isEmpty)
    }

    @Test("--master-key-file puts the key elsewhere; the environment variable works; a readable key file is refused")
    func masterKeySources() async throws {
        let directory = try TemporaryDirectory()
        let keyFile = directory.path("elsewhere.key")
        let dataDir = directory.path("data")
        #expect(try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", keyFile]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: dataDir + "/keys/master.key"))
        #expect(try Self.mode(keyFile) == 0o600)

        let withoutKey = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir])
        #expect(withoutKey.status == 78)
        #expect(try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-file", keyFile]).status == 0)

        var environment = ProcessInfo.processInfo.environment
        environment["COFFER_MASTER_KEY"] = try String(contentsOfFile: keyFile, encoding: .utf8)
        #expect(try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir], environment: environment).status == 0)
        environment["COFFER_MASTER_KEY"] = MasterKey.generate().encoded
        let wrong = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir], environment: environment)
        #expect(wrong.status == 78)
        #expect(wrong.standardError.contains("master_key_mismatch"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
        let readable = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-file", keyFile])
        #expect(readable.status == 78)
        #expect(readable.standardError.contains("chmod 600"))
    }

    @Test("--help works on every command; usage errors exit 64; a missing vault exits 78")
    func helpAndExitCodes() async throws {
        for command in [[], ["init"], ["migrate"], ["keys"], ["keys", "rotate"], ["keys", "status"], ["keys", "retire"],
                        ["keys", "rotate-master"], ["audit"], ["audit", "verify"]] {
            let result = try await ProcessRunner.coffer(command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(result.standardOutput.contains("USAGE"), "\(command): \(result.standardOutput)")
        }
        #expect(try await ProcessRunner.coffer(["init"]).status == 64)
        #expect(try await ProcessRunner.coffer(["rotate"]).status == 64)
        #expect(try await ProcessRunner.coffer(["keys", "status", "--data-dri", "/tmp/x"]).status == 64)
        #expect(try await ProcessRunner.coffer(["keys", "rotate", "--data-dir", "/tmp/x", "--batch-size", "many"]).status == 64)
        let directory = try TemporaryDirectory()
        let missing = try await ProcessRunner.coffer(["migrate", "--data-dir", directory.path("none")])
        #expect(missing.status == 78)
        #expect(missing.standardError.contains("coffer init"))
    }

    @Test("SIGTERM and SIGINT end a command other than serve as by default (143, 130): only serve drains on them")
    func signalsEndOtherCommands() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await Self.initialize(directory)
        for (signal, status) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            // Waits for a key manager that never answers in time: the command is busy when signalled.
            let command = try await ChildProcess(ProcessRunner.cofferPath, [
                "keys", "status", "--data-dir", dataDir, "--master-key-command", "exec sleep 30"])
            #expect(await waitUntil(within: .seconds(30)) { Self.hasChild(command.id) }, "the key command did not start")
            command.signal(signal)
            #expect(await command.exit().status == status)
        }
    }

    /// Whether `pid` has started a child process (Linux: /proc/PID/task/*/children, one list per thread).
    private static func hasChild(_ pid: pid_t) -> Bool {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return threads.contains { thread in
            let children = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/children", encoding: .utf8)
            return !(children ?? "").trimmingCharacters(in: .whitespaces).isEmpty
        }
    }

    @Test("migrate applies nothing on an up-to-date store")
    func migrate() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await Self.initialize(directory)
        let result = try await ProcessRunner.coffer(["migrate", "--data-dir", dataDir])
        #expect(result.status == 0)
        #expect(result.standardOutput == "schema up to date\n")
    }

    @Test("audit verify passes on an untouched log and names the first edited entry")
    func auditVerify() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, tenant, _) = try await Self.initialize(directory)
        let (storage, vault) = try await Self.openVault(dataDir)
        for index in 0..<5 {
            let token = try await vault.tokenize(TestPAN.card(index), tenant: tenant, caller: .admin(of: tenant), actor: "test").metadata.token
            _ = try await vault.reveal(token, tenant: tenant, caller: .admin(of: tenant), actor: "test")
        }
        await storage.close()

        let intact = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(intact.status == 0, "\(intact.standardError)")
        // init's two entries, then a card.tokenize and a card.reveal per card.
        #expect(intact.standardOutput == "audit log intact: 12 entries, 0 checkpoints reached\n")

        // An attacker with the file drops the append-only trigger and edits entry 4.
        let edit = try await ProcessRunner.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'").fetchall():
                db.execute(f"DROP TRIGGER {name}")
            db.execute("UPDATE audit_log SET actor='someone-else' WHERE sequence=4")
            db.commit()
            """, [dataDir + "/coffer.db"])
        #expect(edit.status == 0, "\(edit.standardError)")
        let broken = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir])
        #expect(broken.status == 65)
        #expect(broken.standardError.contains("audit log broken: entry 4 does not match the chain"))
    }

    @Test("keys status and keys rotate count every kind of sealed record")
    func rotateCountsEachKind() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, tenant, _) = try await Self.initialize(directory)
        let (storage, vault) = try await Self.openVault(dataDir)
        _ = try await vault.tokenize(TestPAN.card(1), tenant: tenant, caller: .admin(of: tenant), actor: "test")
        _ = try await vault.createAccount(
            NewAccount(referenceID: nil, instrument: .bank(try SealedRecordsFixture.bank("021000021", "123456789")),
                       holder: Array("holder".utf8), duplicateCheck: .none), tenant: tenant, caller: .admin(of: tenant), actor: "test")
        _ = try await PlatformService(vault).createPlatformClient(profile: Array("profile".utf8), tenant: tenant)
        await storage.close()
        let kinds = "3 records (1 cards, 1 accounts, 1 platform clients)"

        let before = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir])
        #expect(before.standardOutput.hasPrefix("v1\tactive \t\(kinds)\tcreated "), "\(before.standardOutput)")
        let rotated = try await ProcessRunner.coffer(["keys", "rotate", "--data-dir", dataDir])
        #expect(rotated.status == 0, "\(rotated.standardError)")
        #expect(rotated.standardOutput == "data key v2 active; \(kinds) re-encrypted\n")
        // Progress on stderr, a plain line per batch (not a terminal): count of total, percent.
        let progress = rotated.standardError.split(separator: "\n").map { $0.split(separator: ",").first.map(String.init) ?? "" }
        #expect(progress == ["re-encrypted 1/1 cards (100%)", "re-encrypted 1/1 accounts (100%)",
                             "re-encrypted 1/1 platform clients (100%)"], "\(rotated.standardError)")
        let after = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir]).standardOutput.split(separator: "\n")
        #expect(after.count == 2)
        #expect(after.first?.hasPrefix("v1\tretired\t0 records\tcreated ") == true, "\(after)")
        #expect(after.last?.hasPrefix("v2\tactive \t\(kinds)\tcreated ") == true, "\(after)")
    }

    @Test("keys rotate re-encrypts 10,000 cards; killed with SIGKILL midway and run again, nothing is lost")
    func rotateSurvivesSIGKILL() async throws {
        let count = 10_000
        let directory = try TemporaryDirectory()
        let (dataDir, tenant, _) = try await Self.initialize(directory)
        let (storage, vault) = try await Self.openVault(dataDir)
        let tokens = try await withThrowingTaskGroup(of: [(Int, Token)].self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var tokens: [(Int, Token)] = []
                    for index in stride(from: worker, to: count, by: 16) {
                        tokens.append((index, try await vault.tokenize(TestPAN.card(index), tenant: tenant, caller: .admin(of: tenant), actor: "test").metadata.token))
                    }
                    return tokens
                }
            }
            var tokens = [Token](repeating: Token(unchecked: ""), count: count)
            for try await pairs in group { for (index, token) in pairs { tokens[index] = token } }
            return tokens
        }
        await storage.close()

        // Start a rotation in small batches and kill it as soon as it has committed some of them.
        let rotation = try await ChildProcess(ProcessRunner.cofferPath, ["keys", "rotate", "--data-dir", dataDir, "--batch-size", "100"])
        _ = await rotation.standardError.wait(within: .seconds(120), forText: "re-encrypted 1000/10000 cards")
        rotation.signal(SIGKILL)
        #expect(await rotation.exit().termination == .signaled(SIGKILL), "the rotation finished before it could be killed")

        let midway = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir])
        #expect(midway.standardOutput.contains("v2\tactive"))
        #expect(!midway.standardOutput.contains("v1\tretired\t0 records"), "some cards are still under v1")

        let resumed = try await ProcessRunner.coffer(["keys", "rotate", "--data-dir", dataDir])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("data key v2 active (finished an interrupted rotation)"))

        let status = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir])
        #expect(status.standardOutput.contains("v1\tretired\t0 records\t"))
        #expect(status.standardOutput.contains("v2\tactive \t\(count) records (\(count) cards)\t"))

        let (reopened, revealing) = try await Self.openVault(dataDir)
        let revealed = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var matches = 0
                    for index in stride(from: worker, to: count, by: 8) {
                        let card = try await revealing.reveal(tokens[index], tenant: tenant, caller: .admin(of: tenant), actor: "test")
                        if card.number.digits == TestPAN.make(index) { matches += 1 }
                    }
                    return matches
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(revealed == count)
        // init's two entries, a card.tokenize per card, the rotation's, a card.reveal per card.
        #expect(try await revealing.verifyAuditLog() == .intact(entries: Int64(3 + 2 * count), checkpoints: 0))

        // A second rotation adds v3 and moves everything again.
        let again = try await ProcessRunner.coffer(["keys", "rotate", "--data-dir", dataDir])
        #expect(again.standardOutput.contains("data key v3 active; \(count) records (\(count) cards) re-encrypted"))
        await reopened.close()
    }
}
