import VaultCrypto

/// The audit log's tamper evidence: each entry's MAC covers its own fields and the previous
/// entry's MAC, under an audit key that exists only wrapped by the master key. Editing, deleting
/// or reordering a row breaks every MAC after it, and whoever can write the database but does not
/// hold the master key cannot compute a chain that verifies. Cutting the tail is caught by
/// checkpoints kept outside the database (`AuditCheckpoint`).
public enum AuditChain {
    /// How an entry's MAC was computed. Entries appended before the chain was keyed stay
    /// `unkeyed`; they may only form a prefix of the log, and the first keyed entry binds them
    /// (its MAC covers the last unkeyed hash), so they cannot be edited either once it exists.
    public enum Version: Int, Sendable {
        /// SHA-256, no key: written by Coffer before the keyed chain, never written now.
        case unkeyed = 1
        /// HMAC-SHA256 under the audit key.
        case keyed = 2
    }

    /// The `previousMAC` of the first entry.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// HMAC-SHA256 under `key` over a length-prefixed encoding, so no two field lists share an
    /// encoding: `coffer-audit-v2` ‖ field(previous) ‖ sequence ‖ timestamp ‖ field(tenant) ‖
    /// field(actor) ‖ field(source) ‖ field(request id) ‖ field(action) ‖ field(subject) ‖
    /// field(outcome) ‖ count, where integers are 64-bit big-endian, and field(x) is x's byte
    /// count as a 32-bit big-endian integer, then x (strings as UTF-8, absent values empty).
    public static func mac(key: SymmetricKey, previous: [UInt8], sequence: Int64, timestampMillis: Int64,
                           event: AuditEvent) -> [UInt8] {
        HMACSHA256.authenticationCode(
            for: encoding(.keyed, previous: previous, sequence: sequence, timestampMillis: timestampMillis, event: event),
            using: key)
    }

    /// The chain value of an `unkeyed` entry: SHA-256 over `coffer-audit-v1` ‖ field(previous) ‖
    /// sequence ‖ timestamp ‖ field(tenant) ‖ field(actor) ‖ field(action) ‖ field(subject) ‖
    /// field(outcome). Only verified, never written.
    public static func unkeyedHash(previous: [UInt8], sequence: Int64, timestampMillis: Int64,
                                   event: AuditEvent) -> [UInt8] {
        SHA256.hash(encoding(.unkeyed, previous: previous, sequence: sequence, timestampMillis: timestampMillis,
                             event: event))
    }

    /// Encoded into one buffer of the exact size: this runs on the writer thread for every entry.
    private static func encoding(_ version: Version, previous: [UInt8], sequence: Int64, timestampMillis: Int64,
                                 event: AuditEvent) -> [UInt8] {
        let domain = version == .keyed ? keyedDomain : unkeyedDomain
        let tenant = (event.tenantID?.rawValue ?? "").utf8
        let actor = event.actor.name.utf8
        let source = (event.actor.source ?? "").utf8
        let requestID = (event.actor.requestID ?? "").utf8
        let action = event.action.rawValue.utf8
        let subject = (event.subject ?? "").utf8
        let outcome = event.outcome.rawValue.utf8
        let keyed = version == .keyed
        var fieldBytes = previous.count + tenant.count + actor.count + action.count + subject.count + outcome.count
        var fields = 6
        var integers = 2
        if keyed {
            fieldBytes += source.count + requestID.count
            fields += 2
            integers += 1
        }
        var encoding: [UInt8] = []
        encoding.reserveCapacity(domain.count + fields * MemoryLayout<UInt32>.size
                                 + integers * MemoryLayout<Int64>.size + fieldBytes)
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
        if keyed {
            append(field: source)
            append(field: requestID)
        }
        append(field: action)
        append(field: subject)
        append(field: outcome)
        if keyed { append(Int64(event.count)) }
        return encoding
    }

    /// The MAC that binds the length of the unkeyed prefix to this vault's audit key, so it
    /// cannot be raised to pass a log rewritten as an unkeyed chain.
    static func prefixSeal(_ length: Int64, key: SymmetricKey) -> [UInt8] {
        var message = Array("coffer-audit-unkeyed-prefix-v1".utf8)
        withUnsafeBytes(of: length.bigEndian) { message.append(contentsOf: $0) }
        return HMACSHA256.authenticationCode(for: message, using: key)
    }

    private static let keyedDomain = Array("coffer-audit-v2".utf8)
    private static let unkeyedDomain = Array("coffer-audit-v1".utf8)

    /// Whether `entry`'s stored values are the chain's, given the MAC of the entry before it.
    static func isValid(_ entry: AuditEntry, previous: [UInt8], key: SymmetricKey) -> Bool {
        guard constantTimeEquals(entry.previousMAC, previous) else { return false }
        switch entry.chainVersion {
        case .keyed:
            return constantTimeEquals(entry.mac, mac(key: key, previous: previous, sequence: entry.sequence,
                                                     timestampMillis: entry.timestampMillis, event: entry.event))
        case .unkeyed:
            // The unkeyed encoding does not cover these, so such entries never had them.
            guard entry.event.actor.source == nil, entry.event.actor.requestID == nil, entry.event.count == 1
            else { return false }
            return constantTimeEquals(entry.mac, unkeyedHash(previous: previous, sequence: entry.sequence,
                                                             timestampMillis: entry.timestampMillis, event: entry.event))
        }
    }

    public enum Verification: Sendable, Equatable {
        case intact(entries: Int64, checkpoints: Int)
        /// The first entry that is not what the chain or a checkpoint says it must be.
        case broken(atSequence: Int64, reason: BreakReason)
    }

    public enum BreakReason: String, Sendable, Equatable {
        /// Its MAC (or its link to the previous entry) does not verify: edited, reordered or forged.
        case mismatch = "does not match the chain"
        /// A gap: the sequence numbers jump over it.
        case missing = "is missing"
        /// The log ends before it, but a checkpoint says the log reached it.
        case truncated = "is missing: the log ends before a checkpoint"
        /// An unkeyed entry where only keyed ones may be: unkeyed entries are only ever the prefix
        /// that existed before the vault was given its audit key.
        case downgraded = "is unkeyed where the chain is keyed"
        /// A checkpoint that was not sealed with this vault's audit key.
        case forgedCheckpoint = "is named by a checkpoint that does not verify"
        /// Two sealed checkpoints give it different MACs: the log was cut back and grown again.
        case conflictingCheckpoints = "is named by checkpoints that disagree: the log was rolled back"
    }

    /// Walks the whole log in pages: every MAC, sequences contiguous from 1, unkeyed entries only
    /// within `unkeyedPrefix` (the entries that existed when the vault got its audit key; 0 for
    /// vaults keyed from the start), and every checkpoint's sequence present with the MAC it recorded.
    /// Without the prefix bound, an attacker could rewrite the whole log as an unkeyed chain.
    public static func verify(_ storage: any VaultStorage, key: SymmetricKey, unkeyedPrefix: Int64 = 0,
                              checkpoints: [AuditCheckpoint] = [], pageSize: Int = 1000) async throws -> Verification {
        if let forged = checkpoints.first(where: { !$0.isValid(key: key) }) {
            return .broken(atSequence: forged.sequence, reason: .forgedCheckpoint)
        }
        var expected: [Int64: [UInt8]] = [:]
        for checkpoint in checkpoints {
            if let other = expected.updateValue(checkpoint.mac, forKey: checkpoint.sequence),
               !constantTimeEquals(other, checkpoint.mac) {
                return .broken(atSequence: checkpoint.sequence, reason: .conflictingCheckpoints)
            }
        }
        let furthest = checkpoints.map(\.sequence).max() ?? 0
        var previous = genesis
        var expectedSequence: Int64 = 1
        var seenKeyed = false
        while true {
            let after = expectedSequence - 1
            let page = try await storage.read { try $0.auditEntries(after: after, limit: pageSize) }
            for entry in page {
                guard entry.sequence == expectedSequence else {
                    return .broken(atSequence: expectedSequence, reason: .missing)
                }
                if entry.chainVersion == .unkeyed, seenKeyed || entry.sequence > unkeyedPrefix {
                    return .broken(atSequence: entry.sequence, reason: .downgraded)
                }
                guard isValid(entry, previous: previous, key: key),
                      expected[entry.sequence].map({ constantTimeEquals($0, entry.mac) }) ?? true
                else { return .broken(atSequence: entry.sequence, reason: .mismatch) }
                seenKeyed = seenKeyed || entry.chainVersion == .keyed
                previous = entry.mac
                expectedSequence += 1
            }
            if page.count < pageSize { break }
        }
        let entries = expectedSequence - 1
        if furthest > entries { return .broken(atSequence: expectedSequence, reason: .truncated) }
        return .intact(entries: entries, checkpoints: checkpoints.count)
    }
}

/// Where the chain ends: the last entry's sequence and MAC.
public struct AuditHead: Sendable, Equatable {
    public var sequence: Int64
    public var mac: [UInt8]

    public init(sequence: Int64, mac: [UInt8]) {
        self.sequence = sequence
        self.mac = mac
    }
}

/// The head of the audit log at one moment — its sequence number and MAC — sealed under the audit
/// key. Kept outside the database (a file beside it, a log server), it lets `verify` tell a log
/// that was cut short after it from one that never grew.
public struct AuditCheckpoint: Sendable, Equatable {
    public var sequence: Int64
    /// The MAC of entry `sequence`.
    public var mac: [UInt8]
    public var createdAtMillis: Int64
    /// HMAC-SHA256(audit key, `coffer-audit-checkpoint-v1` ‖ sequence ‖ field(mac) ‖ createdAt).
    public var seal: [UInt8]

    public init(sequence: Int64, mac: [UInt8], createdAtMillis: Int64, seal: [UInt8]) {
        self.sequence = sequence
        self.mac = mac
        self.createdAtMillis = createdAtMillis
        self.seal = seal
    }

    /// Seals `head` under `key`.
    static func sealing(_ head: AuditHead, at createdAtMillis: Int64, key: SymmetricKey) -> AuditCheckpoint {
        AuditCheckpoint(sequence: head.sequence, mac: head.mac, createdAtMillis: createdAtMillis,
                        seal: seal(sequence: head.sequence, mac: head.mac, createdAtMillis: createdAtMillis, key: key))
    }

    func isValid(key: SymmetricKey) -> Bool {
        constantTimeEquals(seal, Self.seal(sequence: sequence, mac: mac, createdAtMillis: createdAtMillis, key: key))
    }

    private static func seal(sequence: Int64, mac: [UInt8], createdAtMillis: Int64, key: SymmetricKey) -> [UInt8] {
        var message = Array("coffer-audit-checkpoint-v1".utf8)
        withUnsafeBytes(of: sequence.bigEndian) { message.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(mac.count).bigEndian) { message.append(contentsOf: $0) }
        message.append(contentsOf: mac)
        withUnsafeBytes(of: createdAtMillis.bigEndian) { message.append(contentsOf: $0) }
        return HMACSHA256.authenticationCode(for: message, using: key)
    }
}
