import VaultCrypto

/// The audit log's tamper evidence: each entry's hash covers its own fields and the previous
/// entry's hash, so editing, deleting or reordering any row breaks every hash after it.
public enum AuditChain {
    /// The `previousHash` of the first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// SHA-256 over a length-prefixed encoding, so no two field lists share an encoding.
    public static func hash(previous: [UInt8], sequence: Int64, timestampMillis: Int64, event: AuditEvent) -> [UInt8] {
        var encoding: [UInt8] = Array("coffer-audit-v1".utf8)
        func append(_ field: [UInt8]) {
            withUnsafeBytes(of: UInt32(field.count).bigEndian) { encoding.append(contentsOf: $0) }
            encoding.append(contentsOf: field)
        }
        append(previous)
        withUnsafeBytes(of: sequence.bigEndian) { encoding.append(contentsOf: $0) }
        withUnsafeBytes(of: timestampMillis.bigEndian) { encoding.append(contentsOf: $0) }
        append(Array((event.tenantID?.rawValue ?? "").utf8))
        append(Array(event.actor.utf8))
        append(Array(event.action.rawValue.utf8))
        append(Array((event.subject ?? "").utf8))
        append(Array(event.outcome.rawValue.utf8))
        return SHA256.hash(encoding)
    }

    public enum Verification: Sendable, Equatable {
        case intact(entries: Int64)
        /// The first entry whose stored hashes do not match the chain.
        case broken(atSequence: Int64)
    }

    /// Walks the whole log in pages; sequences must also be contiguous from 1.
    public static func verify(_ storage: any VaultStorage, pageSize: Int = 1000) async throws -> Verification {
        var previous = genesis
        var expectedSequence: Int64 = 1
        while true {
            let after = expectedSequence - 1
            let page = try await storage.read { try $0.auditEntries(after: after, limit: pageSize) }
            for entry in page {
                let recomputed = hash(previous: previous, sequence: entry.sequence,
                                      timestampMillis: entry.timestampMillis, event: entry.event)
                guard entry.sequence == expectedSequence,
                      constantTimeEquals(entry.previousHash, previous),
                      constantTimeEquals(entry.hash, recomputed)
                else { return .broken(atSequence: expectedSequence) }
                previous = entry.hash
                expectedSequence += 1
            }
            if page.count < pageSize { return .intact(entries: expectedSequence - 1) }
        }
    }
}
