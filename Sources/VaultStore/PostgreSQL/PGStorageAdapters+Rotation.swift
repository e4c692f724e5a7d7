import VaultCore

/// Rotation and key status over PostgreSQL: the statements `SealedRecordSQL` and `WrappedKeySQL`
/// build for every kind, translated (`IS ?` becomes `IS NOT DISTINCT FROM $n`).
extension PGBackedReader {
    func sealedRecords(_ kind: SealedRecordKind, keyVersionBelow version: Int, after row: SealedRow?,
                       limit: Int) throws -> [SealedRow] {
        let sql = SealedRecordSQL.of(kind)
        // Every key column is non-empty text, so the empty string sorts before the first row.
        let after: [any PGBindable] = sql.table.primaryKey.map { column in
            row.map { sql.table.value(of: column, in: $0) } ?? ""
        }
        return try rows(sql.select, after + [version, max(limit, 0)]) { found in
            SealedRow(tenantID: try found.identifier(0, as: TenantID.self, "\(sql.table.name).tenant_id"),
                      subject: try found.text(1), keyVersion: try found.int(2),
                      sealed: try sql.table.sealed.indices.map { index in
                          let column = Int32(3 + index)
                          return found.isNull(column) ? nil : try found.blob(column)
                      })
        }
    }

    func sealedRecordCounts(_ kind: SealedRecordKind) throws -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: try rows(SealedRecordSQL.of(kind).counts) { (try $0.int(0), try $0.int(1)) })
    }

    func wrappedKeys(_ kind: WrappedKeyKind, after row: WrappedKeyRow?, limit: Int) throws -> [WrappedKeyRow] {
        let sql = WrappedKeySQL.of(kind)
        return try rows(sql.select, [Self.keyValue(sql.table, of: row), max(limit, 0)]) { found in
            WrappedKeyRow(id: try Self.keyText(found, sql.table),
                          tenantID: found.isNull(1) ? nil : try found.identifier(1, as: TenantID.self, "\(sql.table.name).tenant_id"),
                          wrapped: try found.blob(2))
        }
    }

    /// The cursor of the next batch (see `WrappedKeyTable.keyValue`).
    static func keyValue(_ table: WrappedKeyTable, of row: WrappedKeyRow?) -> any PGBindable {
        table.isIntegerKey ? Int(row?.id ?? "") ?? 0 : row?.id ?? ""
    }

    /// A data-key version is an int8 in PostgreSQL (SQLite reads any column as text).
    static func keyText(_ row: PGRow, _ table: WrappedKeyTable) throws -> String {
        table.isIntegerKey ? String(try row.int64(0)) : try row.text(0)
    }
}

extension PGWriter {
    func resealRecord(_ kind: SealedRecordKind, _ row: SealedRow, with sealed: [[UInt8]?], keyVersion: Int) throws -> Bool {
        let sql = SealedRecordSQL.of(kind)
        precondition(sealed.count == sql.table.sealed.count && row.sealed.count == sql.table.sealed.count,
                     "one value per sealed column of \(sql.table.name)")
        let identity: [any PGBindable] = sql.table.identity.map { sql.table.value(of: $0, in: row) }
        let parameters: [[any PGBindable]] = [sealed, [keyVersion], identity, [row.keyVersion], row.sealed]
        return try run(sql.update, parameters.flatMap { $0 }) > 0
    }

    func rewrapKey(_ kind: WrappedKeyKind, _ row: WrappedKeyRow, with wrapped: [UInt8]) throws -> Bool {
        let sql = WrappedKeySQL.of(kind)
        return try run(sql.update, [wrapped, Self.keyValue(sql.table, of: row), row.wrapped]) > 0
    }
}
