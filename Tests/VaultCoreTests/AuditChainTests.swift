import Testing
import VaultCore

@Suite struct AuditChainTests {
    /// The expected digests were computed independently, with Python's hashlib over the encoding
    /// documented on `AuditChain.hash`:
    /// `sha256(b"coffer-audit-v1" + field(previous) + pack(">q", sequence) + pack(">q", timestamp)
    /// + field(tenant) + field(actor) + field(action) + field(subject) + field(outcome))`,
    /// with `field(b) = pack(">I", len(b)) + b` and strings in UTF-8.
    @Test func theHashOfAFixedEntryIsPinned() {
        let event = AuditEvent(tenantID: TenantID(unchecked: "Zm9vYmFyYmF6cXV1eDEyMw"), actor: "api-key-7",
                               action: .cardReveal, subject: "tok_Ünïcode", outcome: .success)
        let hash = AuditChain.hash(previous: (0..<32).map { UInt8($0) }, sequence: 42,
                                   timestampMillis: 1_700_000_000_123, event: event)
        #expect(hex(hash) == "aff9720978601a1cb6b9d84cb743a31116c8f8377e248c504c4ba64900320cb5")
    }

    @Test func anAbsentTenantOrSubjectIsHashedAsEmpty() {
        let event = AuditEvent(tenantID: nil, actor: "anonymous", action: .authenticationFailure, subject: nil,
                               outcome: .failure)
        let hash = AuditChain.hash(previous: AuditChain.genesis, sequence: 1, timestampMillis: -5, event: event)
        #expect(hex(hash) == "654bbf1abad9c6bdc7f9a7844fba03df81c88c24c6411c56575e9a10f7bea142")
    }

    private func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xf)]] })
    }
}
