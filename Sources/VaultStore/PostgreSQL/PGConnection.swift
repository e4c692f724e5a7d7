import CPostgreSQL

/// One libpq connection with its prepared statements. Every statement is prepared once per
/// connection with its parameter types and runs with parameters and results in binary format:
/// no value is ever formatted into SQL text, and numbers and byte strings cross unconverted.
///
/// libpq calls block: a connection is used only on threads the engine owns, never on the
/// cooperative pool. `@unchecked Sendable` is safe for the same reason as `SQLiteConnection`:
/// a connection has exactly one owner at a time (libpq connections must not be shared between
/// threads at once), and its hand-overs go through the engine's pool mutex, which orders every
/// use by one owner before the next one's.
final class PGConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Prepared statement names by SQL text and parameter types.
    private var prepared: [PreparedKey: String] = [:]
    /// On a replica connection: the highest WAL position its server reported having replayed
    /// (replay only moves forward), so a read behind an older fence need not ask again.
    var replayed = WALPosition.start

    private struct PreparedKey: Hashable {
        var sql: String
        var types: [Oid]
    }

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit { close() }

    /// Connects with a libpq connection string or `postgresql://` URI, and sets what every
    /// statement assumes: UTF-8 text and UTC. The password never appears in an error.
    static func connect(_ uri: String) throws(PGError) -> PGConnection {
        guard let handle = PQconnectdb(uri) else {
            throw PGError(kind: .connection, sqlState: "", message: "cannot connect: out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = redacting(password(in: uri), from: PGError.connectionMessage(handle))
            PQfinish(handle)
            throw PGError(kind: .connection, sqlState: "", message: "cannot connect: \(message)")
        }
        coffer_pg_silence_notices(handle)
        let connection = PGConnection(handle: handle)
        try connection.executeScript("SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'")
        return connection
    }

    /// The `password` option of a connection string or URI, as libpq reads it.
    private static func password(in uri: String) -> String? {
        guard let options = PQconninfoParse(uri, nil) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val { return String(cString: value) }
            option += 1
        }
        return nil
    }

    private static func redacting(_ secret: String?, from message: String) -> String {
        guard let secret, !secret.isEmpty else { return message }
        return message.replacingOccurrences(of: secret, with: "***")
    }

    // MARK: Statements

    /// Runs one statement and returns its result. Parameters are `$1`, `$2`, ….
    func query(_ sql: String, _ parameters: [PGValue]) throws(PGError) -> PGResult {
        guard let handle else { throw Self.closedError }
        let types = parameters.map(\.typeOID)
        let name = try statementName(sql, types: types, handle: handle)
        var bytes: [UInt8] = []
        var ranges: [Range<Int>?] = []
        for parameter in parameters {
            guard parameter != .null else { ranges.append(nil); continue }
            let start = bytes.count
            parameter.encode(into: &bytes)
            ranges.append(start..<bytes.count)
        }
        let lengths = ranges.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: parameters.count)
        let result: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                // A zero-length value still needs a non-NULL pointer: NULL means SQL NULL.
                var empty: CChar = 0
                return withUnsafeMutablePointer(to: &empty) { emptyPointer in
                    let values: [UnsafePointer<CChar>?] = ranges.map { range in
                        guard let range else { return nil }
                        guard range.count > 0, let base = characters.baseAddress else { return UnsafePointer(emptyPointer) }
                        return base + range.lowerBound
                    }
                    return PQexecPrepared(handle, name, Int32(parameters.count), values, lengths, formats, 1)
                }
            }
        }
        return try PGResult(checking: result, connection: handle, context: "")
    }

    /// `query` with the parameters written inline.
    func query(_ sql: String, _ parameters: any PGBindable...) throws(PGError) -> PGResult {
        try query(sql, parameters.map(\.pgValue))
    }

    /// Runs one statement and returns how many rows it inserted, changed or deleted.
    @discardableResult
    func execute(_ sql: String, _ parameters: any PGBindable...) throws(PGError) -> Int {
        try query(sql, parameters.map(\.pgValue)).affectedRows
    }

    /// Every row of the statement, mapped. (Untyped `throws`, so map closures need no
    /// annotation; only `PGError`s are thrown.)
    func rows<Element>(_ sql: String, _ parameters: any PGBindable..., map: (PGRow) throws -> Element) throws -> [Element] {
        let result = try query(sql, parameters.map(\.pgValue))
        return try result.rows.map(map)
    }

    /// Runs a script of statements separated by semicolons, without parameters (migrations,
    /// settings), in text format.
    func executeScript(_ sql: String) throws(PGError) {
        _ = try scriptResult(sql)
    }

    /// `executeScript`, returning the last statement's result (in text format): a statement and
    /// a query after it in one round trip.
    func scriptResult(_ sql: String) throws(PGError) -> PGResult {
        guard let handle else { throw Self.closedError }
        return try PGResult(checking: PQexec(handle, sql), connection: handle, context: "")
    }

    private func statementName(_ sql: String, types: [Oid], handle: OpaquePointer) throws(PGError) -> String {
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        let name = "coffer_\(prepared.count + 1)"
        let result = PQprepare(handle, name, sql, Int32(types.count), types)
        _ = try PGResult(checking: result, connection: handle, context: "preparing a statement")
        prepared[key] = name
        return name
    }

    // MARK: State

    /// True inside a transaction block, also a failed one that awaits its ROLLBACK.
    var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// True inside a transaction block that a failed statement aborted: its COMMIT would roll back.
    var isInFailedTransaction: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) == PQTRANS_INERROR
    }

    /// False once the server closed the connection or a network error broke it.
    var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server's version as an integer (`150018` for 15.18).
    var serverVersion: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// Closes the connection (the server rolls back an open transaction). Idempotent.
    func close() {
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
        prepared.removeAll()
    }

    static let closedError = PGError(kind: .connection, sqlState: "", message: "the database connection is closed")
}

/// A statement's result, freed when the value goes away. Results are read in binary format.
final class PGResult {
    let handle: OpaquePointer

    /// Takes ownership of `result`, or throws the failure it reports (and frees it).
    fileprivate init(checking result: OpaquePointer?, connection: OpaquePointer, context: String) throws(PGError) {
        let status = result.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        guard let result, status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let error = PGError(result: result, connection: connection, context: context)
            PQclear(result)
            throw error
        }
        handle = result
    }

    deinit { PQclear(handle) }

    var rowCount: Int { Int(PQntuples(handle)) }

    var rows: [PGRow] { (0..<PQntuples(handle)).map { PGRow(self, row: $0) } }

    /// The first row, nil when there is none.
    var first: PGRow? { rowCount > 0 ? PGRow(self, row: 0) : nil }

    /// Rows an INSERT, UPDATE or DELETE touched; 0 for other statements.
    var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }
}
