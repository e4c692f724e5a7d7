import VaultCrypto

/// The audit log's tamper evidence: each entry's hash covers its own fields and the previous
/// entry's hash, so editing, deleting or reordering any row breaks every hash after it.
public enum AuditChain {
    /// The `previousHash` of the first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// Begins every hashed message; names the encoding's version.
    private static let domain = Array("coffer-audit-v1".utf8)

    /// SHA-256 over a length-prefixed encoding, so no two field lists share an encoding:
    /// `coffer-audit-v1` ‖ field(previous) ‖ sequence ‖ timestamp ‖ field(tenant) ‖ field(actor) ‖
    /// field(action) ‖ field(subject) ‖ field(outcome), where integers are 64-bit big-endian, and
    /// field(x) is x's byte count as a 32-bit big-endian integer, then x (strings as UTF-8, an
    /// absent tenant or subject empty).
    ///
    /// Encoded into one buffer of the exact size: this runs on the writer thread for every entry.
    public static func hash(previous: [UInt8], sequence: Int64, timestampMillis: Int64, event: AuditEvent) -> [UInt8] {
        let tenant = (event.tenantID?.rawValue ?? "").utf8
        let actor = event.actor.utf8
        let action = event.action.rawValue.utf8
        let subject = (event.subject ?? "").utf8
        let outcome = event.outcome.rawValue.utf8
        let fieldBytes = previous.count + tenant.count + actor.count + action.count + subject.count + outcome.count
        var encoding: [UInt8] = []
        encoding.reserveCapacity(domain.count + 6 * MemoryLayout<UInt32>.size + 2 * MemoryLayout<Int64>.size + fieldBytes)
        func append(_ integer: some FixedWidthInteger) {
            withUnsafeBytes(of: integer.bigEndian) { encoding.append(contentsOf: $0) }
        }
        func append(field: some Collection<UInt8>) {
            append(UInt32(field.count))
            encoding.append(contentsOf: field)
        }
        encoding.append(contentsOf: domain)
        append(field: previous)
        append(sequence)
        append(timestampMillis)
        append(field: tenant)
        append(field: actor)
        append(field: action)
        append(field: subject)
        append(field: outcome)
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
