import VaultCore

/// Where each kind of sealed record lives: enough to build the three statements rotation and key
/// status need, the same way for every table.
struct SealedRecordTable: Sendable {
    let name: String
    /// The primary key, which is also the order batches are read in. Each column is `tenant_id`
    /// or `subject`, so a `SealedRow` carries the whole key.
    let primaryKey: [String]
    /// The column the associated data names (`SealedRow.subject`).
    let subject: String
    /// The sealed columns, in `SealedRecordKind.columns` order.
    let sealed: [String]
    /// What a row still holding sealed data satisfies besides having a key version: a tombstone
    /// holds nothing and must not be listed, counted, or re-encrypted back to life.
    var live: String?

    static func of(_ kind: SealedRecordKind) -> SealedRecordTable {
        switch kind {
        case .cards: SealedRecordTable(name: "cards", primaryKey: ["token"], subject: "token", sealed: ["ciphertext"])
        case .cardTokens:
            SealedRecordTable(name: "card_tokens", primaryKey: ["token"], subject: "token", sealed: ["ciphertext"])
        case .accounts:
            SealedRecordTable(name: "accounts", primaryKey: ["token"], subject: "token",
                              sealed: ["sealed_holder", "sealed_bank_number"], live: "deleted_at IS NULL")
        // A neutralised record has no key version: it is not listed.
        case .idempotencyRecords:
            SealedRecordTable(name: "idempotency_records", primaryKey: ["tenant_id", "lookup"], subject: "lookup",
                              sealed: ["sealed_body"])
        case .syncClients: SealedRecordTable(name: "sync_clients", primaryKey: ["id"], subject: "id", sealed: ["sealed_meta"])
        case .paymentMethods:
            SealedRecordTable(name: "payment_methods", primaryKey: ["id"], subject: "id", sealed: ["sealed_details"])
        // The access token is optional: without one the row has no key version and is not listed.
        case .paymentSettings:
            SealedRecordTable(name: "payment_settings", primaryKey: ["tenant_id"], subject: "tenant_id",
                              sealed: ["sealed_stripe_access_token"])
        case .platformClients:
            SealedRecordTable(name: "platform_clients", primaryKey: ["id"], subject: "id", sealed: ["sealed_profile"])
        case .gatewayCards:
            SealedRecordTable(name: "gateway_cards", primaryKey: ["id"], subject: "id", sealed: ["sealed_cardholder_name"])
        // A delivered message's payload is wiped, its key version with it: it is not listed.
        case .outboxMessages:
            SealedRecordTable(name: "outbox", primaryKey: ["id"], subject: "id", sealed: ["sealed_payload"])
        case .profileCustomers:
            SealedRecordTable(name: "profile_customers", primaryKey: ["id"], subject: "id", sealed: ["sealed_profile"])
        case .profileCards:
            SealedRecordTable(name: "profile_cards", primaryKey: ["id"], subject: "id",
                              sealed: ["sealed_reference", "sealed_profile"])
        // A revoked credential's secret is wiped, its key version with it: it is not listed.
        case .signingCredentials:
            SealedRecordTable(name: "signing_credentials", primaryKey: ["id"], subject: "id", sealed: ["sealed_secret"])
        case .patrons: SealedRecordTable(name: "patrons", primaryKey: ["id"], subject: "id", sealed: ["sealed_profile"])
        case .patronContacts:
            SealedRecordTable(name: "patron_contacts", primaryKey: ["id"], subject: "id", sealed: ["sealed_details"])
        case .patronCards:
            SealedRecordTable(name: "patron_cards", primaryKey: ["id"], subject: "id", sealed: ["sealed_details"])
        }
    }

    /// The row's value for a primary-key column.
    func value(of column: String, in row: SealedRow) -> String {
        column == "tenant_id" ? row.tenantID.rawValue : row.subject
    }

    /// The columns that name one row: the primary key, and the tenant in any case.
    var identity: [String] { primaryKey.contains("tenant_id") ? primaryKey : primaryKey + ["tenant_id"] }
}

/// The statements of one kind, built once (they are also the statement-cache keys).
struct SealedRecordSQL: Sendable {
    let table: SealedRecordTable
    /// Parameters: the primary key to start after, the version, the limit.
    let select: String
    let counts: String
    /// Parameters: the new sealed columns, the new version, the identity, the old version, the old sealed columns.
    let update: String

    init(_ table: SealedRecordTable) {
        self.table = table
        let key = "(\(table.primaryKey.joined(separator: ", ")))"
        let after = "(\(table.primaryKey.map { _ in "?" }.joined(separator: ", ")))"
        let live = table.live.map { " AND \($0)" } ?? ""
        // `+key_version` keeps the planner on the primary key (key order, stopping after LIMIT rows)
        // instead of collecting and sorting every old row through a key_version index.
        select = """
            SELECT tenant_id, \(table.subject), key_version, \(table.sealed.joined(separator: ", ")) FROM \(table.name)
            WHERE \(key) > \(after) AND +key_version < ?\(live) ORDER BY \(table.primaryKey.joined(separator: ", ")) LIMIT ?
            """
        counts = "SELECT key_version, count(*) FROM \(table.name) WHERE key_version IS NOT NULL\(live) GROUP BY key_version"
        let assignments = (table.sealed + ["key_version"]).map { "\($0) = ?" }
        let unchanged = table.identity.map { "\($0) = ?" } + ["key_version = ?"] + table.sealed.map { "\($0) IS ?" }
        update = """
            UPDATE \(table.name) SET \(assignments.joined(separator: ", ")) WHERE \(unchanged.joined(separator: " AND "))
            """
    }

    static let byKind = Dictionary(uniqueKeysWithValues: SealedRecordKind.allCases.map {
        ($0, SealedRecordSQL(SealedRecordTable.of($0)))
    })

    static func of(_ kind: SealedRecordKind) -> SealedRecordSQL { byKind[kind]! }
}

extension SQLiteBackedReader {
    func sealedRecords(_ kind: SealedRecordKind, keyVersionBelow version: Int, after row: SealedRow?,
                       limit: Int) throws -> [SealedRow] {
        let sql = SealedRecordSQL.of(kind)
        // Every key column is non-empty text, so the empty string sorts before the first row.
        let after: [any SQLiteBindable] = sql.table.primaryKey.map { column in
            row.map { sql.table.value(of: column, in: $0) } ?? ""
        }
        return try connection.query(sql.select, arguments: after + [version, max(limit, 0)]) { found in
            SealedRow(tenantID: try found.identifier(0, as: TenantID.self, "\(sql.table.name).tenant_id"),
                      subject: found.text(1), keyVersion: found.int(2),
                      sealed: sql.table.sealed.indices.map { index in
                          let column = Int32(3 + index)
                          return found.isNull(column) ? nil : found.blob(column)
                      })
        }
    }

    func sealedRecordCounts(_ kind: SealedRecordKind) throws -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: try connection.query(SealedRecordSQL.of(kind).counts) { ($0.int(0), $0.int(1)) })
    }
}

extension SQLiteWriter {
    func resealRecord(_ kind: SealedRecordKind, _ row: SealedRow, with sealed: [[UInt8]?], keyVersion: Int) throws -> Bool {
        let sql = SealedRecordSQL.of(kind)
        precondition(sealed.count == sql.table.sealed.count && row.sealed.count == sql.table.sealed.count,
                     "one value per sealed column of \(sql.table.name)")
        let identity: [any SQLiteBindable] = sql.table.identity.map { sql.table.value(of: $0, in: row) }
        let arguments: [[any SQLiteBindable]] = [sealed, [keyVersion], identity, [row.keyVersion], row.sealed]
        return try connection.executeCountingChanges(sql.update, arguments: arguments.flatMap { $0 }) > 0
    }
}
