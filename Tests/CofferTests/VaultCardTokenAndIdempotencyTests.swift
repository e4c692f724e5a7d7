import Foundation
import TestSupport
import Testing
import VaultCore
import VaultCrypto
import VaultStore

@Suite("Single-use card tokens and idempotent recording", .ownThreads)
struct VaultCardTokenAndIdempotencyTests {
    @Test("A single-use token tokenizes once, never twice, never for another tenant, never after it expires")
    func singleUse() async throws {
        let clock = TestClock()
        let test = try await TestVault.make(clock: { clock.now })
        let issued = try await test.vault.createCardToken(.plain(CardData(packed: "4111111111111111|203012|123")),
                                                          tenant: test.tenant, caller: test.admin, actor: "test")
        #expect(issued.last4 == "1111")
        #expect(issued.expiresAt == clock.now.addingTimeInterval(600))

        let other = try await test.vault.createTenant(name: "other", actor: "test").id
        await #expect(throws: VaultError.cardTokenNotFound) {
            try await test.vault.tokenize(.singleUseToken(issued.token), tenant: other, caller: .admin(of: other), actor: "test")
        }
        let card = try await test.vault.tokenize(.singleUseToken(issued.token), tenant: test.tenant, caller: test.admin, actor: "test")
        #expect(card.securityCode == nil, "a single-use token never holds the security code")
        let revealed = try await test.vault.reveal(card.metadata.token, tenant: test.tenant, caller: test.admin, actor: "test")
        #expect(revealed.number.digits == "4111111111111111")
        await #expect(throws: VaultError.cardTokenNotFound) {
            try await test.vault.tokenize(.singleUseToken(issued.token), tenant: test.tenant, caller: test.admin, actor: "test")
        }

        let late = try await test.vault.createCardToken(TestPAN.card(5), tenant: test.tenant, caller: test.admin, actor: "test")
        clock.now = late.expiresAt.addingTimeInterval(1)
        await #expect(throws: VaultError.cardTokenExpired) {
            try await test.vault.tokenize(.singleUseToken(late.token), tenant: test.tenant, caller: test.admin, actor: "test")
        }
        await test.storage.close()
    }

    @Test("A single-use token's ciphertext does not open as a card")
    func separateAAD() async throws {
        let test = try await TestVault.make()
        let issued = try await test.vault.createCardToken(TestPAN.card(1), tenant: test.tenant, caller: test.admin, actor: "test")
        await test.storage.close()
        // Move the token's row into the cards table with the same token value.
        let move = try await ProcessRunner.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            token, tenant, ct, version, created = db.execute(
                "SELECT token, tenant_id, ciphertext, key_version, created_at FROM card_tokens").fetchone()
            db.execute("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                       (token, tenant, ct, version, b'x' * 32, '411111', '1111', 'visa', None, created, created))
            db.commit()
            """, [test.databasePath])
        #expect(move.status == 0, "\(move.standardError)")
        let reopened = try await test.reopened()
        await #expect(throws: VaultError.integrityFailure) {
            try await reopened.vault.reveal(issued.token, tenant: reopened.tenant, caller: reopened.admin, actor: "test")
        }
        await reopened.storage.close()
    }

    @Test("A recorded response replays; the same key with another request is a mismatch; concurrent retries store once")
    func idempotency() async throws {
        let test = try await TestVault.make()
        let principal = Principal(tenantID: test.tenant, credential: .apiKey(.generate()), roles: [.tokenize], limits: .unlimited)
        func identify(_ body: String, by principal: Principal) async throws -> IdempotencyRequest {
            try await test.vault.idempotencyRequest(key: "order-42", principal: principal, method: "POST",
                                                    route: "/vault/v1/cards", path: "/vault/v1/cards", body: Array(body.utf8))
        }
        let request = try await identify("a", by: principal)
        #expect(try await test.vault.idempotentResponse(for: request) == .absent)

        let recording = IdempotencyRecording<TokenizedCard>(request) { tokenized in
            StoredResponse(status: 201, body: Array(tokenized.metadata.token.rawValue.utf8))
        }
        // Eight concurrent first attempts with the same key: exactly one stores a card.
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (try? await test.vault.tokenize(TestPAN.card(9), tenant: test.tenant, caller: test.admin, actor: "test", idempotency: recording)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try await test.storage.read { try $0.cardCount() } == 1)

        guard case .replay(let stored) = try await test.vault.idempotentResponse(for: request) else {
            Issue.record("expected a replay")
            return
        }
        #expect(stored.status == 201)
        let token = try #require(Token(validating: String(decoding: stored.body, as: UTF8.self)))
        #expect(try await test.vault.metadata(of: token, tenant: test.tenant, caller: test.admin).last4 == String(TestPAN.make(9).suffix(4)))

        #expect(try await test.vault.idempotentResponse(for: try await identify("b", by: principal)) == .mismatch)

        // Another tenant's identical key and request are its own.
        let second = try await test.vault.createTenant(name: "second", actor: "test").id
        let foreign = try await identify("a", by: Principal(tenantID: second, credential: principal.credential, roles: [], limits: .unlimited))
        #expect(foreign.lookup != request.lookup && foreign.requestMAC != request.requestMAC)
        #expect(try await test.vault.idempotentResponse(for: foreign) == .absent)

        // The stored body is sealed: the token's bytes are not in the table.
        let raw = try await test.storage.read { try $0.idempotencyRecord(tenant: test.tenant, lookup: request.lookup) }
        let sealed = try #require(raw?.response?.sealedBody)
        #expect(!String(decoding: sealed, as: UTF8.self).contains(token.rawValue))
        await test.storage.close()
    }
}
