/// A result row of either engine, read by column index, so that turning rows into records is
/// written once (`SQLiteRows+Records.swift`) for SQLite and PostgreSQL alike. Both schemas store
/// the same columns with the same meaning: 64-bit integers (milliseconds, versions, 0/1 flags),
/// doubles, text and bytes.
protocol StoredRow {
    func isNull(_ column: Int32) -> Bool
    func int64(_ column: Int32) throws -> Int64
    func int(_ column: Int32) throws -> Int
    func double(_ column: Int32) throws -> Double
    func text(_ column: Int32) throws -> String
    func blob(_ column: Int32) throws -> [UInt8]
    func optionalInt64(_ column: Int32) throws -> Int64?
    func optionalText(_ column: Int32) throws -> String?
}

extension SQLiteRow: StoredRow {}

extension PGRow: StoredRow {
    func blob(_ column: Int32) throws(PGError) -> [UInt8] { try bytes(column) }
}
