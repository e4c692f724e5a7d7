import Foundation
import VaultCore
import VaultCrypto

/// One `migrations/NNNN_name.sql` file.
struct Migration: Sendable, Equatable {
    let version: Int
    /// The file name, e.g. `0001_initial.sql`.
    let name: String
    let sql: [UInt8]
    /// Lowercase hex SHA-256 of the file's bytes.
    let checksum: String

    /// Parses `NNNN_name.sql`: four digits (0001 or more), an underscore, then letters, digits and underscores.
    init(name: String, sql: [UInt8]) throws(StorageError) {
        let utf8 = Array(name.utf8)
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        func isNameByte(_ byte: UInt8) -> Bool {
            isDigit(byte) || (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || byte == 0x5F
        }
        let suffix = Array(".sql".utf8)
        guard utf8.count > 4 + 1 + suffix.count,
              utf8[0..<4].allSatisfy(isDigit), utf8[4] == UInt8(ascii: "_"),
              utf8.suffix(suffix.count).elementsEqual(suffix),
              utf8[5..<(utf8.count - suffix.count)].allSatisfy(isNameByte)
        else {
            throw .migration("migration file name \"\(name)\" is not NNNN_name.sql (four digits, an underscore, letters, digits or underscores)")
        }
        let version = utf8[0..<4].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard version >= 1 else { throw .migration("migration \(name): numbering starts at 0001") }
        guard !sql.contains(0) else { throw .migration("migration \(name) contains a NUL byte") }
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = Self.hex(SHA256.hash(sql))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Applies the migrations a binary carries for one engine, each in its own transaction together
/// with its `schema_migrations` row, after checking that what the database already has is exactly
/// a prefix of them: a changed applied file, a renamed one or a version this binary does not know
/// stops everything before anything is applied. The checks are the same for every engine; only
/// how a migration is applied differs (`migrate(_:)` for SQLite here, for PostgreSQL in
/// `Migrator+PostgreSQL.swift`).
struct Migrator: Sendable {
    let migrations: [Migration]

    /// Validates the set: every name well formed, versions 0001, 0002, … in order, without
    /// duplicates or gaps (a gap usually means a file lost in a merge).
    init(files: [(name: String, sql: [UInt8])]) throws(StorageError) {
        var migrations: [Migration] = []
        for file in files {
            let migration = try Migration(name: file.name, sql: file.sql)
            let expected = (migrations.last?.version ?? 0) + 1
            if let previous = migrations.last, migration.version <= previous.version {
                throw .migration("migration \(migration.name) does not come after \(previous.name): versions must be unique and increasing")
            }
            guard migration.version == expected else {
                throw .migration("migration \(migration.name) should be numbered \(String(format: "%04d", expected)): versions must have no gaps")
            }
            migrations.append(migration)
        }
        self.migrations = migrations
    }

    /// The SQLite migrations compiled into this binary from `migrations/*.sql`.
    static func embedded() throws(StorageError) -> Migrator {
        try Migrator(files: embeddedMigrationFiles)
    }

    /// The PostgreSQL migrations compiled into this binary from `migrations/postgresql/*.sql`.
    static func embeddedPostgreSQL() throws(StorageError) -> Migrator {
        try Migrator(files: embeddedPostgreSQLMigrationFiles)
    }

    static let createBookkeeping = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at INTEGER NOT NULL
        ) STRICT
        """

    /// A `schema_migrations` row.
    struct Applied {
        let version: Int
        let name: String
        let checksum: String
    }

    /// Applies every pending migration and returns their file names, in order.
    func migrate(_ connection: SQLiteConnection, now: () -> Date = Date.init) throws -> [String] {
        // Check first, in a transaction that also creates the bookkeeping table, so that a
        // refusal leaves the database exactly as it was.
        try transaction(connection) {
            try connection.execute(Self.createBookkeeping)
            _ = try pending(applied: try applied(connection))
        }
        var appliedNames: [String] = []
        for migration in migrations {
            let didApply = try transaction(connection) { () throws -> Bool in
                // Re-read inside the write lock: another process may have migrated meanwhile.
                let pending = try pending(applied: try applied(connection))
                guard pending.first == migration else { return false }
                do throws(StorageError) {
                    try connection.executeScript(migration.sql)
                } catch {
                    throw StorageError.migration("migration \(migration.name) failed and was rolled back: \(error.message)")
                }
                try connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    migration.version, migration.name, migration.checksum, SQLiteTime.milliseconds(now()))
                return true
            }
            if didApply { appliedNames.append(migration.name) }
        }
        return appliedNames
    }

    /// The migrations not yet applied, without changing anything (a missing bookkeeping table
    /// means none are applied).
    func pending(_ connection: SQLiteConnection) throws -> [Migration] {
        let hasTable = try connection.queryFirst(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'") { _ in true } ?? false
        return try pending(applied: hasTable ? try applied(connection) : [])
    }

    private func applied(_ connection: SQLiteConnection) throws -> [Applied] {
        try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version") { row in
            Applied(version: row.int(0), name: row.text(1), checksum: row.text(2))
        }
    }

    /// Compares the database's record with this binary's files; throws `.migration` on any mismatch.
    func pending(applied: [Applied]) throws(StorageError) -> [Migration] {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for record in applied {
            guard let migration = known[record.version] else {
                throw .migration("the database has migration \(record.name) (version \(record.version)), which this binary does not know; run a newer coffer")
            }
            guard migration.name == record.name else {
                throw .migration("migration \(String(format: "%04d", record.version)) was applied as \(record.name) but this binary calls it \(migration.name); restore the original name")
            }
            guard migration.checksum == record.checksum else {
                throw .migration("migration \(migration.name) was changed after it was applied (checksum \(record.checksum.prefix(16))… ≠ \(migration.checksum.prefix(16))…); restore it or add a new migration")
            }
        }
        let appliedVersions = Set(applied.map(\.version))
        let pending = migrations.filter { !appliedVersions.contains($0.version) }
        if let first = pending.first, let last = applied.last, first.version < last.version {
            throw .migration("migration \(first.name) is missing from the database although the later \(last.name) is applied")
        }
        return pending
    }

    /// Runs `body` between `BEGIN IMMEDIATE` and `COMMIT`, rolling back if anything throws.
    private func transaction<Result>(_ connection: SQLiteConnection, _ body: () throws -> Result) throws -> Result {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
    }
}
