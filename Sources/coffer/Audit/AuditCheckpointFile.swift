import Foundation
import VaultCore
import VaultCrypto

/// Sealed audit checkpoints as JSON lines in a file of their own, outside the database: a log cut
/// short after a checkpoint no longer reaches it, and `audit verify` says so. An attacker who can
/// also rewrite this file can roll it back; ship its lines to a log server (`audit export` writes
/// the same lines) to close that too.
struct AuditCheckpointFile {
    let url: URL

    /// `DIR/audit-checkpoints.jsonl`, unless an operator points elsewhere (another volume).
    static func `default`(in directory: DataDirectory) -> AuditCheckpointFile {
        AuditCheckpointFile(url: directory.url.appending(path: "audit-checkpoints.jsonl"))
    }

    /// Appends one line and syncs it to disk before returning.
    func append(_ checkpoint: AuditCheckpoint) throws(CLIError) {
        let line = Array((AuditJSONLines.line(checkpoint) + "\n").utf8)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io("cannot open \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw .io("cannot write \(url.path)") }
    }

    /// Every checkpoint in the file (none when it does not exist); other lines (entries of an
    /// export) are skipped. A line that is not a readable checkpoint — torn by a crash mid-append,
    /// or junk written to block verification — is skipped with a warning on stderr, not fatal:
    /// what matters is whether the checkpoints that do verify are reached.
    func read() throws(CLIError) -> [AuditCheckpoint] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw .io("cannot read \(url.path)") }
        var checkpoints: [AuditCheckpoint] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            if let object, object["type"] as? String == "entry" { continue }
            guard let object, object["type"] as? String == "checkpoint", let checkpoint = AuditJSONLines.checkpoint(object) else {
                Output.note("coffer: \(url.path) line \(index + 1) is not a readable checkpoint; skipped")
                continue
            }
            checkpoints.append(checkpoint)
        }
        return checkpoints
    }
}

/// The JSON-lines form of audit entries and checkpoints, for `audit export` and checkpoint files:
/// one object per line with a `type`, binary values in Base64URL, times in milliseconds since 1970
/// (the precision the MACs cover).
enum AuditJSONLines {
    static func line(_ checkpoint: AuditCheckpoint) -> String {
        encode(object(checkpoint))
    }

    /// A checkpoint as the JSON object of its line (also a snapshot manifest's `auditHead`).
    static func object(_ checkpoint: AuditCheckpoint) -> [String: any Sendable] {
        [
            "type": "checkpoint", "sequence": checkpoint.sequence, "mac": Base64URL.encode(checkpoint.mac),
            "timeMillis": checkpoint.createdAtMillis, "seal": Base64URL.encode(checkpoint.seal),
        ]
    }

    static func line(_ entry: AuditEntry) -> String {
        let event = entry.event
        return encode([
            "type": "entry", "sequence": entry.sequence, "timeMillis": entry.timestampMillis,
            "tenant": event.tenantID?.rawValue ?? NSNull(), "actor": event.actor.name,
            "source": event.actor.source ?? NSNull(), "requestId": event.actor.requestID ?? NSNull(),
            "action": event.action.rawValue, "subject": event.subject ?? NSNull(), "outcome": event.outcome.rawValue,
            "count": event.count, "chainVersion": entry.chainVersion.rawValue,
            "previousMac": Base64URL.encode(entry.previousMAC), "mac": Base64URL.encode(entry.mac),
        ])
    }

    static func checkpoint(_ object: [String: Any]) -> AuditCheckpoint? {
        guard let sequence = (object["sequence"] as? NSNumber)?.int64Value,
              let time = (object["timeMillis"] as? NSNumber)?.int64Value,
              let mac = (object["mac"] as? String).flatMap(Base64URL.decode),
              let seal = (object["seal"] as? String).flatMap(Base64URL.decode)
        else { return nil }
        return AuditCheckpoint(sequence: sequence, mac: mac, createdAtMillis: time, seal: seal)
    }

    private static func encode(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
