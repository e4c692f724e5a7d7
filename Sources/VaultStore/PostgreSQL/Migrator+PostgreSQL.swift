import Foundation
import VaultCore

/// Applying migrations to PostgreSQL. Nodes starting together take turns: the whole run holds a
/// session advisory lock, so the second node finds the first one's migrations applied and applies
/// nothing. Each migration runs in its own transaction with its `schema_migrations` row
/// (PostgreSQL's DDL is transactional: a failing migration leaves nothing behind).
extension Migrator {
    /// The advisory lock every Coffer node takes while migrating ("coffer" in ASCII).
    static let postgreSQLLockKey: Int64 = 0x636F_6666_6572

    static let createPostgreSQLBookkeeping = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version int8 PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at int8 NOT NULL
        )
        """

    /// Applies every pending migration and returns their file names, in order.
    func migrate(_ connection: PGConnection, now: () -> Date = Date.init) throws -> [String] {
        try connection.execute("SELECT pg_advisory_lock($1)", Self.postgreSQLLockKey)
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock($1)", Self.postgreSQLLockKey) }
        // Check first, in a transaction that also creates the bookkeeping table, so that a
        // refusal leaves the database exactly as it was.
        let toApply = try transaction(connection) {
            try connection.executeScript(Self.createPostgreSQLBookkeeping)
            return try pending(applied: try applied(connection))
        }
        for migration in toApply {
            try transaction(connection) {
                do throws(PGError) {
                    try connection.executeScript(String(decoding: migration.sql, as: UTF8.self))
                } catch {
                    throw StorageError.migration("migration \(migration.name) failed and was rolled back: \(error.description)")
                }
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                    migration.version, migration.name, migration.checksum, SQLiteTime.milliseconds(now()))
            }
        }
        return toApply.map(\.name)
    }

    /// The migrations not yet applied, without changing anything.
    func pending(_ connection: PGConnection) throws -> [Migration] {
        let hasTable = try connection.query("SELECT to_regclass('schema_migrations') IS NOT NULL").first?.bool(0) ?? false
        return try pending(applied: hasTable ? try applied(connection) : [])
    }

    private func applied(_ connection: PGConnection) throws -> [Applied] {
        try connection.rows("SELECT version, name, checksum FROM schema_migrations ORDER BY version") { row in
            Applied(version: try row.int(0), name: try row.text(1), checksum: try row.text(2))
        }
    }

    private func transaction<Result>(_ connection: PGConnection, _ body: () throws -> Result) throws -> Result {
        try connection.executeScript("BEGIN")
        do {
            let result = try body()
            try connection.executeScript("COMMIT")
            return result
        } catch {
            if connection.isInTransaction { try? connection.executeScript("ROLLBACK") }
            throw error
        }
    }
}
