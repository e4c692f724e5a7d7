import VaultCore

/// Where each kind of master-wrapped key lives: enough to build the two statements a master-key
/// rotation needs, the same way for every table.
struct WrappedKeyTable: Sendable {
    let name: String
    /// The one-column primary key, which is also the order batches are read in.
    let key: String
    /// Whether `key` is an INTEGER (data-key versions) rather than TEXT.
    let isIntegerKey: Bool
    /// The column naming the tenant when the wrapping's associated data needs it besides the key.
    var tenant: String?
    let wrapped: String
    /// What a row still holding a key satisfies: a deleted card-data key holds an empty blob.
    var live: String?

    static func of(_ kind: WrappedKeyKind) -> WrappedKeyTable {
        switch kind {
        case .dataKeys: WrappedKeyTable(name: "data_keys", key: "version", isIntegerKey: true, wrapped: "wrapped_key")
        case .fingerprintKeys:
            WrappedKeyTable(name: "tenants", key: "id", isIntegerKey: false, wrapped: "wrapped_fingerprint_key")
        case .cardDataKeys:
            WrappedKeyTable(name: "card_data_keys", key: "id", isIntegerKey: false, tenant: "tenant_id",
                            wrapped: "wrapped_private_key", live: "deleted_at IS NULL")
        case .ssoSecrets: WrappedKeyTable(name: "sso_secrets", key: "tenant_id", isIntegerKey: false, wrapped: "wrapped_secret")
        }
    }

    /// The bound value of a row's key: the cursor of the next batch.
    func keyValue(of row: WrappedKeyRow?) -> any SQLiteBindable {
        // Versions start at 1 and every text key is non-empty, so 0 and "" sort before the first row.
        isIntegerKey ? Int(row?.id ?? "") ?? 0 : row?.id ?? ""
    }
}

/// The statements of one kind, built once (they are also the statement-cache keys).
struct WrappedKeySQL: Sendable {
    let table: WrappedKeyTable
    /// Parameters: the key to start after, the limit.
    let select: String
    /// Parameters: the new wrapped key, the row's key, the wrapped key that was read.
    let update: String

    init(_ table: WrappedKeyTable) {
        self.table = table
        let live = table.live.map { " AND \($0)" } ?? ""
        select = """
            SELECT \(table.key), \(table.tenant ?? "NULL"), \(table.wrapped) FROM \(table.name)
            WHERE \(table.key) > ?\(live) ORDER BY \(table.key) LIMIT ?
            """
        update = "UPDATE \(table.name) SET \(table.wrapped) = ? WHERE \(table.key) = ? AND \(table.wrapped) = ?\(live)"
    }

    static let byKind = Dictionary(uniqueKeysWithValues: WrappedKeyKind.allCases.map {
        ($0, WrappedKeySQL(WrappedKeyTable.of($0)))
    })

    static func of(_ kind: WrappedKeyKind) -> WrappedKeySQL { byKind[kind]! }
}

extension SQLiteBackedReader {
    func wrappedKeys(_ kind: WrappedKeyKind, after row: WrappedKeyRow?, limit: Int) throws -> [WrappedKeyRow] {
        let sql = WrappedKeySQL.of(kind)
        return try connection.query(sql.select, arguments: [sql.table.keyValue(of: row), max(limit, 0)]) { found in
            WrappedKeyRow(id: found.text(0),
                          tenantID: found.isNull(1) ? nil : try found.identifier(1, as: TenantID.self, "\(sql.table.name).tenant_id"),
                          wrapped: found.blob(2))
        }
    }
}

extension SQLiteWriter {
    func rewrapKey(_ kind: WrappedKeyKind, _ row: WrappedKeyRow, with wrapped: [UInt8]) throws -> Bool {
        let sql = WrappedKeySQL.of(kind)
        return try connection.executeCountingChanges(sql.update, arguments: [wrapped, sql.table.keyValue(of: row), row.wrapped]) > 0
    }
}
