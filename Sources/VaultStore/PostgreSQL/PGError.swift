import CPostgreSQL
import VaultCore

/// A failure of a PostgreSQL call, classified by its SQLSTATE so the engine decides on codes —
/// retry a serialization failure, report a unique violation — never on message text.
///
/// The message is built from PostgreSQL's names only (SQLSTATE, constraint, table, column) for
/// integrity and data errors, whose primary messages and details quote the offending values
/// (`Key (fingerprint)=(\x…) already exists`, `invalid input syntax for type bigint: "4111…"`):
/// bound values may be secrets, so no value of a statement ever reaches a message.
struct PGError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        /// 23505: a unique index refused the row.
        case uniqueViolation
        /// Any other integrity rule (23xxx): foreign key, not null, check.
        case integrityViolation
        /// 40001 or 40P01: the transaction lost a race with another; run it again.
        case serializationFailure
        /// The connection is gone or could not be made (08xxx, 57P01–57P03, or libpq's own state).
        case connection
        /// A result whose columns are not what the code reads: the schema drifted from the code.
        case unexpectedResult
        /// Anything else: a bad statement, resources, a cancelled query.
        case other
    }

    var kind: Kind
    /// The five-character SQLSTATE, empty when libpq failed before the server answered.
    var sqlState: String
    var message: String
    /// The constraint an integrity error names, when the server names one.
    var constraint: String?

    var description: String { sqlState.isEmpty ? message : "\(message) (SQLSTATE \(sqlState))" }

    /// The engine-neutral error the storage contract promises.
    var storageError: StorageError {
        switch kind {
        case .uniqueViolation: .uniqueViolation(key: constraint ?? "", message: description)
        case .integrityViolation: .integrityViolation(description)
        case .serializationFailure: .serializationFailure("PostgreSQL: \(description)")
        case .unexpectedResult: .corrupt("PostgreSQL: \(description)")
        case .connection, .other: .unavailable("PostgreSQL: \(description)")
        }
    }

    static func kind(of sqlState: String) -> Kind {
        switch sqlState {
        case "23505": .uniqueViolation
        case "40001", "40P01": .serializationFailure
        case "57P01", "57P02", "57P03": .connection
        case _ where sqlState.hasPrefix("23"): .integrityViolation
        case _ where sqlState.hasPrefix("08"): .connection
        default: .other
        }
    }

    /// The error a failed result reports. `connection` supplies libpq's own message when the
    /// result carries no SQLSTATE (the server went away mid-call).
    init(result: OpaquePointer?, connection: OpaquePointer?, context: String) {
        func field(_ code: Int32) -> String? {
            guard let result, let text = PQresultErrorField(result, code) else { return nil }
            return String(cString: text)
        }
        let state = field(coffer_pg_diag_sqlstate()) ?? ""
        let constraint = field(coffer_pg_diag_constraint_name())
        var text: String
        if state.isEmpty {
            text = Self.connectionMessage(connection)
        } else if state.hasPrefix("22") || state.hasPrefix("23") {
            let names = [("constraint", constraint), ("table", field(coffer_pg_diag_table_name())),
                         ("column", field(coffer_pg_diag_column_name()))]
                .compactMap { label, name in name.map { "\(label) \($0)" } }
            text = switch state {
            case "23505": "unique key taken"
            case _ where state.hasPrefix("23"): "integrity rule refused the write"
            default: "invalid data"
            }
            if !names.isEmpty { text += ": " + names.joined(separator: ", ") }
        } else {
            text = field(coffer_pg_diag_message_primary()) ?? "error"
        }
        if !context.isEmpty { text = "\(context): \(text)" }
        let kind = state.isEmpty ? Kind.connection : Self.kind(of: state)
        self.init(kind: kind, sqlState: state, message: text, constraint: constraint)
    }

    init(kind: Kind, sqlState: String, message: String, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.constraint = constraint
    }

    /// libpq's last message for the connection, on one line. It names hosts, ports, users and
    /// databases — never a password, never a statement's values.
    static func connectionMessage(_ connection: OpaquePointer?) -> String {
        guard let connection, let text = PQerrorMessage(connection) else { return "no connection" }
        let message = String(cString: text).split(whereSeparator: \.isNewline).joined(separator: " ")
        return message.isEmpty ? "connection failed" : message
    }
}
