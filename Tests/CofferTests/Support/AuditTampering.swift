import Foundation
import TestSupport
import Testing

/// What an attacker with write access to the database file (but not the master key) does to the
/// audit log, done with Python's sqlite3 and hashlib — an implementation independent of Coffer's.
enum AuditTampering {
    /// Drops the append-only triggers, runs `sql`, then recomputes the chain from entry `from` on
    /// the way the unkeyed chain was computed (SHA-256, `coffer-audit-v1` encoding), marking those
    /// entries unkeyed and clearing what that encoding does not cover.
    static func rewriteUnkeyed(database: String, from first: Int, after sql: String = "") async throws {
        let result = try await ProcessRunner.python("""
            import hashlib, sqlite3, struct, sys
            db = sqlite3.connect(sys.argv[1])
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'").fetchall():
                db.execute(f"DROP TRIGGER {name}")
            db.executescript(sys.argv[3])
            first = int(sys.argv[2])
            field = lambda b: struct.pack(">I", len(b)) + b
            text = lambda v: (v or "").encode()
            row = db.execute("SELECT hash FROM audit_log WHERE sequence = ?", (first - 1,)).fetchone()
            previous = row[0] if row else bytes(32)
            rows = db.execute("SELECT sequence, timestamp_ms, tenant_id, actor, action, subject, outcome "
                              "FROM audit_log WHERE sequence >= ? ORDER BY sequence", (first,)).fetchall()
            for (seq, ts, tenant, actor, action, subject, outcome) in rows:
                h = hashlib.sha256(b"coffer-audit-v1" + field(previous) + struct.pack(">q", seq) + struct.pack(">q", ts)
                                   + field(text(tenant)) + field(text(actor)) + field(text(action)) + field(text(subject))
                                   + field(text(outcome))).digest()
                db.execute("UPDATE audit_log SET previous_hash = ?, hash = ?, chain_version = 1, source = NULL, "
                           "request_id = NULL, count = 1 WHERE sequence = ?", (previous, h, seq))
                previous = h
            db.commit()
            """, [database, String(first), sql])
        #expect(result.status == 0, "\(result.standardError)")
    }

    /// Runs SQL on the database file with the audit triggers dropped.
    static func execute(database: String, _ sql: String) async throws {
        try await rewriteUnkeyed(database: database, from: Int.max, after: sql)
    }

    /// `key → hex(value)` of the metadata table, to show that something changed nothing.
    static func metadata(database: String) async throws -> [String: String] {
        let result = try await ProcessRunner.python("""
            import json, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            print(json.dumps({k: v.hex() for (k, v) in db.execute("SELECT key, value FROM metadata")}))
            """, [database])
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: String] ?? [:]
    }
}
