import Foundation
import Testing
@testable import VaultCore
import VaultStore

@Suite("Cached API-key authentication: revocation is immediate, failures are never cached")
struct APIKeyCacheTests {
    private func failures(_ test: TestVault) async throws -> Int {
        try await test.storage.read { try $0.auditEntries(after: 0, limit: 10_000) }
            .filter { $0.event.action == .authenticationFailure }.count
    }

    @Test("A key authenticated (and cached) a moment ago is refused right after its revocation, and audited")
    func revocationTakesEffectAtOnce() async throws {
        var policy = VaultPolicy()
        policy.apiKeyCacheLifetime = .seconds(3600)  // only the invalidation can make it take effect
        let test = try await TestVault.make(policy: policy)
        let issued = try await test.vault.createAPIKey(tenant: test.tenant, roles: [.reveal], label: "r", actor: "test")
        let other = try await test.vault.createAPIKey(tenant: test.tenant, roles: [.tokenize], label: "t", actor: "test")
        for _ in 0..<3 {
            #expect(try await test.vault.authenticate(apiKey: issued.secret).apiKeyID == issued.record.id)
            #expect(try await test.vault.authenticate(apiKey: other.secret).apiKeyID == other.record.id)
        }
        try await test.vault.revokeAPIKey(issued.record.id, tenant: test.tenant, actor: "test")
        for attempt in 1...2 {
            await #expect(throws: VaultError.unauthenticated) { try await test.vault.authenticate(apiKey: issued.secret) }
            #expect(try await failures(test) == attempt)
        }
        // Other keys still work after the cache was emptied.
        #expect(try await test.vault.authenticate(apiKey: other.secret).apiKeyID == other.record.id)
        await test.storage.close()
    }

    @Test("Every refused key reaches the store and is audited, however often it is presented")
    func failuresAreNotCached() async throws {
        let test = try await TestVault.make()
        for attempt in 1...3 {
            await #expect(throws: VaultError.unauthenticated) { try await test.vault.authenticate(apiKey: "ck_unknown") }
            #expect(try await failures(test) == attempt)
        }
        await test.storage.close()
    }

    @Test("An authentication that read its key before a revocation cannot cache it afterwards")
    func staleInsertAfterInvalidationIsDropped() {
        let cache = PrincipalCache(lifetime: .seconds(3600))
        let key = PrincipalCache.Key(digest: Array(repeating: 7, count: 32))
        let principal = Principal(tenantID: .generate(), credential: .apiKey(.generate()), roles: [.reveal], limits: .unlimited)
        let before = cache.generation
        cache.invalidate()  // a revocation committed while the read was in flight
        cache.insert(principal, for: key, generation: before)
        #expect(cache.principal(for: key) == nil)
        cache.insert(principal, for: key, generation: cache.generation)
        #expect(cache.principal(for: key) == principal)
    }

    @Test("A zero lifetime turns the cache off")
    func disabled() {
        let cache = PrincipalCache(lifetime: .zero)
        let key = PrincipalCache.Key(digest: Array(repeating: 1, count: 32))
        cache.insert(Principal(tenantID: .generate(), credential: .apiKey(.generate()), roles: [], limits: .unlimited), for: key, generation: cache.generation)
        #expect(cache.principal(for: key) == nil)
    }
}
