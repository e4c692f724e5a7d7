import Foundation
import TestSupport
import Testing
import VaultCore
import VaultCrypto

/// `coffer keys rotate-master` and `keys retire` run by an operator, beside a live `coffer serve`.
@Suite("Key commands beside a live server", .serialized, .ownThreads)
struct KeyCommandsEndToEndTests {
    private static func environment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
    }

    /// What a live server must keep doing through a master-key rotation: tokenize and reveal; a
    /// new tenant (a new fingerprint key), whose new RSA key decrypts card data, and whose new SSO
    /// secret signs a token that opens its client's routes. Returns the card's token.
    private func exercise(_ server: ServerProcess, round: Int, in directory: TemporaryDirectory) async throws -> String {
        let number = TestPAN.make(round)
        let created = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"\#(number)"}"#, key: server.apiKey)
        #expect(created.status == 201, "round \(round): \(created.body)")
        let token = try #require(created.json?["token"] as? String)
        let revealed = try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: server.apiKey)
        #expect(revealed.json?["number"] as? String == number, "round \(round)")

        let tenant = try await server.request("POST", "/vault/v1/tenants", body: #"{"name":"tenant \#(round)"}"#, key: server.apiKey)
        #expect(tenant.status == 201, "round \(round): \(tenant.body)")
        let key = try #require(tenant.json?["apiKey"] as? String)
        let rsa = try await server.request("POST", "/vault/v1/keys", body: #"{"format":"ASN.1"}"#, key: key)
        #expect(rsa.status == 201, "round \(round): \(rsa.body)")
        let keyID = try #require(rsa.json?["keyID"] as? String)
        let der = try #require((rsa.json?["key"] as? String).flatMap { Base64URL.decode($0) })
        let data = try await opensslEncrypt("\(number)|\(ServerProcess.validExpiration)|", publicKeyDER: der, mgf1: "sha256",
                                            in: directory)
        let encrypted = try await server.request("POST", "/vault/v1/cards", body: #"{"keyID":"\#(keyID)","data":"\#(data)"}"#, key: key)
        #expect(encrypted.status == 201, "round \(round): \(encrypted.body)")

        let client = try await server.request("POST", "/v1/client", body: #"{"identifier":"client-\#(round)"}"#, key: key)
        let clientID = try #require(client.json?["clientId"] as? String)
        let sso = try await server.request("POST", "/v1/client/create-token", body: #"{"identifier":"client-\#(round)"}"#, key: key)
        let ssoToken = try #require(sso.json?["token"] as? String, "round \(round): \(sso.body)")
        let exchanged = try await server.request("POST", "/v1/client/access-token", key: ssoToken)
        let session = try #require(exchanged.json?["accessToken"] as? String, "round \(round): \(exchanged.body)")
        #expect(try await server.request("GET", "/v1/payment/list/\(clientID)", key: session).status == 200, "round \(round)")
        return token
    }

    @Test("rotate-master beside a server started with the old key: it keeps working through --finish; then only the new key starts it")
    func rotateMasterBesideALiveServer() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = directory.path("data"), oldKey = directory.path("old.key"), newKey = directory.path("new.key")
        let initialized = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", oldKey],
                                                         environment: Self.environment())
        #expect(initialized.status == 0, "\(initialized.standardError)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(initialized.standardOutput.utf8)) as? [String: String])
        let credentials = (apiKey: try #require(printed["apiKey"]), tenantID: try #require(printed["tenantId"]))
        let server = try await ServerProcess(serving: directory, dataDir: dataDir, arguments: ["--master-key-file", oldKey],
                                             credentials: credentials, environment: Self.environment())
        var tokens = [try await exercise(server, round: 0, in: directory)]

        let rotated = try await ProcessRunner.coffer(["keys", "rotate-master", "--data-dir", dataDir, "--master-key-file", oldKey,
                                                      "--new-master-key-file", newKey, "--batch-size", "1"], environment: Self.environment())
        #expect(rotated.status == 0, "\(rotated.standardError)")
        #expect(rotated.standardOutput.contains("rewrapped 2 fingerprint keys"), "\(rotated.standardOutput)")
        #expect(rotated.standardOutput.contains("master key rotated; 5 keys (1 data keys, 2 fingerprint keys, 1 card-data keys, 1 SSO secrets) and the audit key rewrapped"),
                "\(rotated.standardOutput)")
        #expect(try CofferCommandTests.mode(newKey) == 0o600)
        tokens.append(try await exercise(server, round: 1, in: directory))

        let status = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-file", newKey])
        #expect(status.standardOutput.contains("master key rotation in progress"), "\(status.standardOutput)")
        let withOldKey = try await ProcessRunner.coffer(["keys", "rotate-master", "--finish", "--data-dir", dataDir, "--master-key-file", oldKey])
        #expect(withOldKey.status == 1)
        #expect(withOldKey.standardError.contains("finish_needs_new_master_key"), "\(withOldKey.standardError)")
        let finished = try await ProcessRunner.coffer(["keys", "rotate-master", "--finish", "--data-dir", dataDir, "--master-key-file", newKey])
        #expect(finished.status == 0, "\(finished.standardError)")
        #expect(finished.standardOutput.contains("the previous master key opens nothing any more"), "\(finished.standardOutput)")
        tokens.append(try await exercise(server, round: 2, in: directory))

        let old = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-file", oldKey])
        #expect(old.status == 78)
        #expect(old.standardError.contains("master_key_mismatch"))
        let audit = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir, "--master-key-file", newKey])
        #expect(audit.status == 0, "\(audit.standardError)")
        #expect(await server.stop() == 0)

        // A server that did start would be killed at the time limit, failing the test.
        let refused = try await ProcessRunner.coffer(["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
                                                      "--master-key-file", oldKey], timeLimit: .seconds(60))
        #expect(refused.status == 78, "the old key no longer starts the vault: \(refused.standardError)")
        let restarted = try await ServerProcess(serving: directory, dataDir: dataDir, arguments: ["--master-key-file", newKey],
                                                credentials: credentials, environment: Self.environment())
        for (round, token) in tokens.enumerated() {
            let revealed = try await restarted.request("POST", "/vault/v1/cards/\(token)/reveal", key: restarted.apiKey)
            #expect(revealed.json?["number"] as? String == TestPAN.make(round))
        }
        _ = try await exercise(restarted, round: 3, in: directory)
        #expect(await restarted.stop() == 0)
    }

    @Test("keys retire is refused while it would lose data; after keys rotate and the reload window it destroys the version")
    func retireAfterRotate() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, tenant, _) = try await CofferCommandTests.initialize(directory)
        let (storage, vault) = try await CofferCommandTests.openVault(dataDir)
        let token = try await vault.tokenize(TestPAN.card(1), tenant: tenant, caller: .admin(of: tenant), actor: "test").metadata.token
        await storage.close()

        let active = try await ProcessRunner.coffer(["keys", "retire", "--data-dir", dataDir, "--version", "1"])
        #expect(active.status == 1)
        #expect(active.standardError.contains("is the active version; run `coffer keys rotate` first. (data_key_active)"),
                "\(active.standardError)")
        #expect(try await ProcessRunner.coffer(["keys", "retire", "--data-dir", dataDir, "--version", "v1"]).status == 64)
        #expect(try await ProcessRunner.coffer(["keys", "rotate", "--data-dir", dataDir]).status == 0)
        let recent = try await ProcessRunner.coffer(["keys", "retire", "--data-dir", dataDir, "--version", "1"])
        #expect(recent.status == 1)
        #expect(recent.standardError.contains("data_key_recently_active"), "\(recent.standardError)")

        // As if the two minutes in which servers reload their keys had passed.
        let backdated = try await ProcessRunner.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("UPDATE data_keys SET created_at = created_at - 180000 WHERE version = 2")
            (wrapped,) = db.execute("SELECT wrapped_key FROM data_keys WHERE version = 1").fetchone()
            db.commit()
            print(wrapped.hex())
            """, [dataDir + "/coffer.db"])
        #expect(backdated.status == 0, "\(backdated.standardError)")
        let wrappedV1 = try #require(Data(hexString: backdated.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)))

        let retired = try await ProcessRunner.coffer(["keys", "retire", "--data-dir", dataDir, "--version", "1"])
        #expect(retired.status == 0, "\(retired.standardError)")
        #expect(retired.standardOutput == "data key v1 destroyed\n")
        let status = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir]).standardOutput.split(separator: "\n")
        #expect(status.count == 1 && status[0].hasPrefix("v2\tactive \t1 records (1 cards)"), "\(status)")
        for file in ["coffer.db", "coffer.db-wal"] {
            let path = dataDir + "/" + file
            let bytes = FileManager.default.contents(atPath: path) ?? Data()
            #expect(bytes.range(of: wrappedV1) == nil, "\(file) no longer holds v1's wrapped key")
        }

        let (reopened, after) = try await CofferCommandTests.openVault(dataDir)
        #expect(try await after.reveal(token, tenant: tenant, caller: .admin(of: tenant), actor: "test").number.digits == TestPAN.make(1))
        let entries = try await after.auditEntries(after: 0, limit: 100)
        #expect(entries.contains { $0.event.action == .dataKeyRetire && $0.event.subject == "v1" })
        #expect(try await after.verifyAuditLog() == .intact(entries: Int64(entries.count), checkpoints: 0))
        await reopened.close()
    }
}

extension Data {
    init?(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2, limitedBy: hexString.endIndex) ?? hexString.endIndex
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
