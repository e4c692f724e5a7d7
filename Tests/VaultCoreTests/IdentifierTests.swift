import Testing
import TestSupport
import VaultCore

@Suite("Random identifiers", .ownThreads)
struct IdentifierTests {
    @Test func randomIdentifiersAreValidAndDistinct() {
        let identifiers = (0..<2_000).map { _ in IdentifierFormat.random() }
        #expect(identifiers.allSatisfy(IdentifierFormat.isValid))
        #expect(Set(identifiers).count == identifiers.count)
    }
}
