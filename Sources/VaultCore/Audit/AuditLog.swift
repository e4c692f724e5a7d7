import Foundation
import VaultCrypto

/// Appends events to the keyed audit chain, inside the write transaction of what they record, so
/// an action and its trace commit together or not at all.
public struct AuditLog: Sendable {
    /// The audit key, unwrapped: it exists only wrapped under the master key at rest.
    public let key: SymmetricKey
    /// How many entries precede the keyed chain (see `AuditChain.verify`).
    public let unkeyedPrefix: Int64

    public init(key: SymmetricKey, unkeyedPrefix: Int64 = 0) {
        self.key = key
        self.unkeyedPrefix = unkeyedPrefix
    }

    /// Reads the head and appends after it. Writers are serialized, so the chain cannot fork.
    @discardableResult
    public func append(_ event: AuditEvent, at date: Date, to writer: any StorageWriter) throws -> AuditEntry {
        let head = try writer.auditHead()
        let sequence = (head?.sequence ?? 0) + 1
        let previous = head?.mac ?? AuditChain.genesis
        let timestamp = Self.milliseconds(date)
        let entry = AuditEntry(
            sequence: sequence, timestampMillis: timestamp, event: event, chainVersion: .keyed, previousMAC: previous,
            mac: AuditChain.mac(key: key, previous: previous, sequence: sequence, timestampMillis: timestamp, event: event))
        try writer.insertAuditEntry(entry)
        return entry
    }

    /// The head entry sealed as a checkpoint, or nil while the log is empty.
    public func checkpoint(_ reader: any StorageReader, at date: Date) throws -> AuditCheckpoint? {
        try reader.auditHead().map { AuditCheckpoint.sealing($0, at: Self.milliseconds(date), key: key) }
    }

    /// The stored form of the unkeyed prefix's length: 8 bytes big-endian, then their seal.
    static func prefixRecord(_ length: Int64, key: SymmetricKey) -> [UInt8] {
        withUnsafeBytes(of: length.bigEndian, Array.init) + AuditChain.prefixSeal(length, key: key)
    }

    /// The length a prefix record holds if its seal verifies; otherwise 0, the strictest reading
    /// (every unkeyed entry then fails verification).
    static func prefixLength(_ record: [UInt8]?, key: SymmetricKey) -> Int64 {
        guard let record, record.count == 8 + HMACSHA256.byteCount else { return 0 }
        let length = record.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
        return constantTimeEquals(Array(record.dropFirst(8)), AuditChain.prefixSeal(length, key: key)) ? length : 0
    }

    /// Milliseconds since 1970, rounded: the precision that is authenticated and stored.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
