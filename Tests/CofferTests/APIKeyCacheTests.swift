import Foundation
import Testing
import TestSupport
@testable import VaultCore
import VaultStore

@Suite("Cached API-key authentication: revocation is immediate, failures are never cached", .ownThreads)
struct APIKeyCacheTests {
    /// How many failed authentications the audit log counts once the tally is written.
    private func failures(_ test: TestVault) async throws -> Int {
        try await test.vault.flushFailedAuthentications(all: true)
        return try await test.storage.read { try $0.auditEntries(after: 0, limit: 10_000) }
            .filter { $0.event.action == .authenticationFailure }.reduce(0) { $0 + $1.event.count }
    }

    private func refused(_ cause: AuthenticationFailure) -> @Sendable (any Error) -> Bool {
        { ($0 as? AuthenticationRefusal)?.cause == cause }
    }

    @Test("A key authenticated (and cached) a moment ago is refused right after its revocation, and audited")
    func revocationTakesEffectAtOnce() async throws {
        var policy = VaultPolicy()
        policy.apiKeyCacheLifetime = .seconds(3600)  // only the invalidation can make it take effect
        let test = try await TestVault.make(policy: policy)
        let issued = try await test.vault.createAPIKey(tenant: test.tenant, roles: [.reveal], label: "r", actor: "test")
        let other = try await test.vault.createAPIKey(tenant: test.tenant, roles: [.tokenize], label: "t", actor: "test")
        for _ in 0..<3 {
            #expect(try await test.vault.authenticate(apiKey: issued.secret, actor: "test").apiKeyID == issued.record.id)
            #expect(try await test.vault.authenticate(apiKey: other.secret, actor: "test").apiKeyID == other.record.id)
        }
        try await test.vault.revokeAPIKey(issued.record.id, tenant: test.tenant, actor: "test")
        for attempt in 1...2 {
            await #expect { try await test.vault.authenticate(apiKey: issued.secret, actor: "test") } throws: { refused(.revokedKey)($0) }
            #expect(try await failures(test) == attempt)
        }
        // Other keys still work after the cache was emptied.
        #expect(try await test.vault.authenticate(apiKey: other.secret, actor: "test").apiKeyID == other.record.id)
        await test.storage.close()
    }

    @Test("Every refused key reaches the store and is counted in the audit log, however often it is presented")
    func failuresAreNotCached() async throws {
        let test = try await TestVault.make()
        let unknown = "ck_" + String(repeating: "u", count: 43)
        for attempt in 1...3 {
            await #expect { try await test.vault.authenticate(apiKey: unknown, actor: "test") } throws: { refused(.unknownKey)($0) }
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
