import Foundation
import TestSupport
import Testing

/// `coffer tenants …` and `coffer apikeys …` beside a live server, and `GET /vault/v1/apikeys`.
@Suite("Administration from the CLI", .serialized, .ownThreads)
struct AdminCommandTests {
    private static func environment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
    }

    private static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test("A lost admin key is replaced from the CLI beside a live server; keys and tenants listed, disabled, audited")
    func recoverLostAdminKey() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = directory.path("data"), masterKey = directory.path("master.key")
        func coffer(_ arguments: [String]) async throws -> ProcessResult {
            try await ProcessRunner.coffer(arguments + ["--data-dir", dataDir, "--master-key-file", masterKey],
                                           environment: Self.environment())
        }
        let initialized = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", masterKey],
                                                         environment: Self.environment())
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(initialized.standardOutput.utf8)) as? [String: String])
        let (lostKey, tenant) = (try #require(printed["apiKey"]), try #require(printed["tenantId"]))
        let server = try await ServerProcess(serving: directory, dataDir: dataDir, arguments: ["--master-key-file", masterKey],
                                             credentials: (lostKey, tenant), environment: Self.environment())
        #expect(try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: lostKey).status == 201)

        let created = try await coffer(["apikeys", "create", "--tenant", tenant, "--roles", "admin,operator", "--label", "replacement"])
        #expect(created.status == 0, "\(created.standardError)")
        let replacement = try #require(Self.jsonLines(created.standardOutput).first?["apiKey"] as? String)
        let listed = try await server.request("GET", "/vault/v1/apikeys", key: replacement)
        #expect(listed.status == 200, "\(listed.body)")
        let keys = try #require(listed.json?["data"] as? [[String: Any]])
        #expect(keys.map { $0["label"] as? String } == ["admin", "replacement"])
        #expect(keys.allSatisfy { $0["lastUsedAt"] is String }, "both keys authenticated a request: \(keys)")
        #expect(!listed.body.contains(lostKey) && !listed.body.contains(replacement) && !listed.body.contains("secret"))
        let lostID = try #require(keys.first?["id"] as? String)

        let revoked = try await coffer(["apikeys", "revoke", "--tenant", tenant, "--key", lostID])
        #expect(revoked.status == 0, "\(revoked.standardError)")
        let refused = await waitUntilAsync { try await server.request("GET", "/vault/v1/apikeys", key: lostKey).status == 401 }
        #expect(refused, "the revoked key is refused within the server's key cache lifetime")
        let cliList = Self.jsonLines(try await coffer(["apikeys", "list", "--tenant", tenant]).standardOutput)
        #expect(cliList.count == 2 && cliList.first?["revokedAt"] is String && cliList.last?["revokedAt"] is NSNull)

        let other = try await coffer(["tenants", "create", "--name", "merchant"])
        let otherTenant = try #require(Self.jsonLines(other.standardOutput).first)
        let otherKey = try #require(otherTenant["apiKey"] as? String), otherID = try #require(otherTenant["tenantId"] as? String)
        #expect(try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: otherKey).status == 201)
        #expect(try await coffer(["tenants", "disable", "--tenant", otherID]).status == 0)
        let disabled = await waitUntilAsync {
            try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: otherKey).status == 401
        }
        #expect(disabled)
        let tenants = Self.jsonLines(try await coffer(["tenants", "list"]).standardOutput)
        #expect(tenants.count == 2 && tenants.first { $0["id"] as? String == otherID }?["disabledAt"] is String)
        #expect(try await coffer(["tenants", "enable", "--tenant", otherID]).status == 0)
        #expect(try await coffer(["apikeys", "create", "--tenant", tenant, "--roles", "admin,root"]).status == 64)
        #expect(await server.stop() == 0)

        let exported = Self.jsonLines(try await coffer(["audit", "export"]).standardOutput).filter { $0["actor"] as? String == "cli" }
        #expect(exported.compactMap { $0["action"] as? String }
                == ["tenant.create", "apikey.create",  // coffer init
                    "apikey.create", "apikey.revoke", "tenant.create", "apikey.create", "tenant.disable", "tenant.enable"],
                "\(exported)")
    }

    /// Polls `condition` off the cooperative pool for up to 10 s.
    private func waitUntilAsync(_ condition: @escaping @Sendable () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            await blocking { Thread.sleep(forTimeInterval: 0.1) }
        }
        return false
    }
}
