import Testing
import TestSupport
@testable import VaultCore
import VaultCrypto

@Suite(.ownThreads) struct AuditChainTests {
    let key = try! SymmetricKey(SecretBytes((0..<32).map { UInt8($0) }))

    /// Computed independently with Python's hmac over the encoding documented on `AuditChain.mac`:
    /// `hmac(key, b"coffer-audit-v2" + field(previous) + pack(">q", sequence) + pack(">q", time)
    /// + field(tenant) + field(actor) + field(source) + field(request id) + field(action)
    /// + field(subject) + field(outcome) + pack(">q", count), sha256)`, `field(b) = pack(">I", len(b)) + b`.
    @Test func theMACOfAFixedEntryIsPinned() {
        let event = AuditEvent(tenantID: TenantID(unchecked: "Zm9vYmFyYmF6cXV1eDEyMw"),
                               actor: AuditActor(name: "apikey:api-key-7", source: "203.0.113.9", requestID: "req-1"),
                               action: .cardReveal, subject: "tok_Ünïcode", outcome: .success)
        let mac = AuditChain.mac(key: key, previous: (32..<64).map { UInt8($0) }, sequence: 42,
                                 timestampMillis: 1_700_000_000_123, event: event)
        #expect(hex(mac) == "8c744a0a16b8ead5478ae4f982e594062ecf572b69cf4fa6d8ae6b0f5e5c009b")
    }

    @Test func absentValuesAreEncodedEmptyAndTheCountIsCovered() {
        let event = AuditEvent(tenantID: nil, actor: "anonymous", action: .authenticationFailure, subject: nil,
                               outcome: .failure, count: 4999)
        let mac = AuditChain.mac(key: key, previous: AuditChain.genesis, sequence: 1, timestampMillis: -5, event: event)
        #expect(hex(mac) == "0f0ecbb094bad551bcaf47f36c58f11bdfb97dcd9ec51ccf496548124337a8a0")
        var other = event
        other.count = 5000
        #expect(AuditChain.mac(key: key, previous: AuditChain.genesis, sequence: 1, timestampMillis: -5, event: other) != mac)
    }

    /// Entries written before the chain was keyed: the digests were computed with Python's hashlib,
    /// `sha256(b"coffer-audit-v1" + field(previous) + pack(">q", sequence) + pack(">q", time)
    /// + field(tenant) + field(actor) + field(action) + field(subject) + field(outcome))`.
    @Test func theUnkeyedHashOfEarlierEntriesIsUnchanged() {
        let event = AuditEvent(tenantID: TenantID(unchecked: "Zm9vYmFyYmF6cXV1eDEyMw"), actor: "api-key-7",
                               action: .cardReveal, subject: "tok_Ünïcode", outcome: .success)
        #expect(hex(AuditChain.unkeyedHash(previous: (0..<32).map { UInt8($0) }, sequence: 42,
                                           timestampMillis: 1_700_000_000_123, event: event))
                == "aff9720978601a1cb6b9d84cb743a31116c8f8377e248c504c4ba64900320cb5")
        let failure = AuditEvent(tenantID: nil, actor: "anonymous", action: .authenticationFailure, subject: nil,
                                 outcome: .failure)
        #expect(hex(AuditChain.unkeyedHash(previous: AuditChain.genesis, sequence: 1, timestampMillis: -5, event: failure))
                == "654bbf1abad9c6bdc7f9a7844fba03df81c88c24c6411c56575e9a10f7bea142")
    }

    /// `hmac(key, b"coffer-audit-checkpoint-v1" + pack(">q", 7) + field(b"\xab" * 32) + pack(">q", 1700000000000), sha256)`.
    @Test func aCheckpointSealIsPinnedAndCoversEveryField() {
        let head = AuditHead(sequence: 7, mac: [UInt8](repeating: 0xAB, count: 32))
        let checkpoint = AuditCheckpoint.sealing(head, at: 1_700_000_000_000, key: key)
        #expect(hex(checkpoint.seal) == "318b9b5b672d8ba467f52e8b67941c72f7f622bc5afe92c8138ae7d453052351")
        #expect(checkpoint.isValid(key: key))
        #expect(!checkpoint.isValid(key: .generate()))
        for edit in [{ (c: inout AuditCheckpoint) in c.sequence += 1 }, { $0.mac[0] ^= 1 }, { $0.createdAtMillis += 1 }] {
            var forged = checkpoint
            edit(&forged)
            #expect(!forged.isValid(key: key))
        }
    }

    @Test func theUnkeyedPrefixReadsBackOnlyUnderItsOwnKey() {
        let record = AuditLog.prefixRecord(12, key: key)
        #expect(AuditLog.prefixLength(record, key: key) == 12)
        #expect(AuditLog.prefixLength(record, key: .generate()) == 0)
        #expect(AuditLog.prefixLength(nil, key: key) == 0)
        var raised = record
        raised[7] = 200  // claims 200 entries under the old seal
        #expect(AuditLog.prefixLength(raised, key: key) == 0)
    }
}
