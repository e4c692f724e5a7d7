import Foundation
import VaultCore
import VaultCrypto

/// A backup of a vault in one file: a header line, a manifest line (JSON), then the SQLite
/// database as `SQLiteStorage.backup` copied it — ciphertext, keyed fingerprints and wrapped keys
/// only; the master key that opens it is never in it.
///
/// The manifest says what the snapshot holds — schema, data-key versions, the audit log's head as
/// a checkpoint sealed under the audit key — and carries the SHA-256 of the database bytes. A
/// changed byte fails the checksum; a database and checksum rewritten together still have to open
/// with the operator's master key and reach the sealed head, which only the audit key can seal.
struct Snapshot {
    static let header = "coffer-snapshot 1"

    struct Manifest {
        var createdAt: Date
        /// The last migration the database has.
        var schema: String
        var dataKeyVersions: [Int]
        var activeDataKeyVersion: Int?
        /// Nil for a vault whose audit log is empty.
        var auditHead: AuditCheckpoint?
        var databaseBytes: Int
        var sha256: [UInt8]

        var json: [String: any Sendable] {
            [
                "createdAt": createdAt.formatted(.iso8601), "schema": schema, "dataKeyVersions": dataKeyVersions,
                "activeDataKeyVersion": activeDataKeyVersion.map { $0 as any Sendable } ?? NSNull(),
                "auditHead": auditHead.map(AuditJSONLines.object) ?? NSNull(),
                "databaseBytes": databaseBytes, "sha256": Self.hex(sha256),
            ]
        }

        init(createdAt: Date, schema: String, dataKeys: [DataKeyStatus], auditHead: AuditCheckpoint?, database: Data) {
            self.createdAt = createdAt
            self.schema = schema
            dataKeyVersions = dataKeys.map(\.version).sorted()
            activeDataKeyVersion = dataKeys.first(where: \.isActive)?.version
            self.auditHead = auditHead
            databaseBytes = database.count
            // Unkeyed on purpose: the input is the whole database file — ciphertext, keyed
            // fingerprints, wrapped keys — never a PAN or bank number in the clear, so the digest
            // answers no guess; it catches damage, and the sealed audit head catches forgery.
            sha256 = SHA256.hash(database)
        }

        /// Reads a manifest line; nil when any field is missing or malformed.
        init?(line: Data) {
            guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                  let created = (object["createdAt"] as? String).flatMap({ try? Date($0, strategy: .iso8601) }),
                  let schema = object["schema"] as? String,
                  let versions = object["dataKeyVersions"] as? [Int],
                  let bytes = object["databaseBytes"] as? Int,
                  let digest = (object["sha256"] as? String).flatMap(Self.bytes(hex:)), digest.count == SHA256.byteCount
            else { return nil }
            var head: AuditCheckpoint?
            if let checkpoint = object["auditHead"] as? [String: Any] {
                guard let parsed = AuditJSONLines.checkpoint(checkpoint) else { return nil }
                head = parsed
            } else if !(object["auditHead"] is NSNull) {
                return nil
            }
            (createdAt, self.schema, dataKeyVersions, activeDataKeyVersion) = (created, schema, versions, object["activeDataKeyVersion"] as? Int)
            (auditHead, databaseBytes, sha256) = (head, bytes, digest)
        }

        private static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

        private static func bytes(hex: String) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count.isMultiple(of: 2) else { return nil }
            var bytes: [UInt8] = []
            for start in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(decoding: digits[start..<start + 2], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(byte)
            }
            return bytes
        }
    }

    var manifest: Manifest
    /// The database file's bytes.
    var database: Data

    /// Writes the snapshot to a new file (mode 0600) and syncs it to disk.
    func write(to url: URL) throws(CLIError) {
        let manifestLine: Data
        do {
            manifestLine = try JSONSerialization.data(withJSONObject: manifest.json, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw .io("cannot encode the manifest: \(error.localizedDescription)")
        }
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("cannot create \(url.path): \(String(cString: strerror(errno)))") }
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try file.write(contentsOf: Data((Self.header + "\n").utf8) + manifestLine + Data("\n".utf8))
            try file.write(contentsOf: database)
            try file.synchronize()
        } catch {
            throw .io("cannot write \(url.path): \(error.localizedDescription)")
        }
    }

    /// Reads a snapshot file, refusing one that is not a snapshot or whose database bytes do not
    /// match the manifest's size and checksum.
    init(reading url: URL) throws(CLIError) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw .io("cannot read \(url.path): \(error.localizedDescription)")
        }
        let newline = UInt8(ascii: "\n")
        guard let headerEnd = data.firstIndex(of: newline), data[..<headerEnd] == Data(Self.header.utf8),
              let manifestEnd = data[(headerEnd + 1)...].firstIndex(of: newline),
              let manifest = Manifest(line: data[(headerEnd + 1)..<manifestEnd])
        else { throw .snapshotRefused(url.path, reason: "it is not a Coffer snapshot (header or manifest unreadable)") }
        let database = data[(manifestEnd + 1)...]
        guard database.count == manifest.databaseBytes, SHA256.hash(database) == manifest.sha256 else {
            throw .snapshotRefused(url.path, reason: "its database does not match the manifest's size and SHA-256 checksum")
        }
        self.manifest = manifest
        self.database = database
    }

    init(manifest: Manifest, database: Data) {
        self.manifest = manifest
        self.database = database
    }
}
