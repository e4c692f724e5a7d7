import CPostgreSQL
import Foundation

/// A statement parameter in PostgreSQL's binary format, with its type, so a prepared statement
/// never has to guess (and a value is never formatted into SQL text).
enum PGValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int64(Int64)
    case double(Double)
    case text(String)
    case bytea([UInt8])

    /// The type's OID from `pg_type` (fixed in every PostgreSQL since 7.x); 0 for NULL, whose
    /// type the server infers from the statement.
    var typeOID: Oid {
        switch self {
        case .null: 0
        case .bool: 16
        case .int64: 20
        case .double: 701
        case .text: 25
        case .bytea: 17
        }
    }

    /// Appends the value's binary encoding (network byte order for numbers); nothing for NULL.
    func encode(into buffer: inout [UInt8]) {
        switch self {
        case .null: break
        case .bool(let value): buffer.append(value ? 1 : 0)
        case .int64(let value): withUnsafeBytes(of: value.bigEndian) { buffer += $0 }
        case .double(let value): withUnsafeBytes(of: value.bitPattern.bigEndian) { buffer += $0 }
        case .text(let value): buffer += value.utf8
        case .bytea(let value): buffer += value
        }
    }
}

/// A Swift value that can be a statement parameter.
protocol PGBindable {
    var pgValue: PGValue { get }
}

extension Bool: PGBindable { var pgValue: PGValue { .bool(self) } }
extension Int64: PGBindable { var pgValue: PGValue { .int64(self) } }
extension Int: PGBindable { var pgValue: PGValue { .int64(Int64(self)) } }
extension Double: PGBindable { var pgValue: PGValue { .double(self) } }
extension String: PGBindable { var pgValue: PGValue { .text(self) } }
extension Array: PGBindable where Element == UInt8 { var pgValue: PGValue { .bytea(self) } }
extension PGValue: PGBindable { var pgValue: PGValue { self } }

extension Optional: PGBindable where Wrapped: PGBindable {
    var pgValue: PGValue { self?.pgValue ?? .null }
}

/// One row of a result, read column by column in binary format. Each accessor checks the
/// column's type: a schema that drifted from the code is `corrupt`, never a misread number.
/// The row holds its result, so the memory it reads lives as long as the row.
struct PGRow {
    private let owner: PGResult
    private let row: Int32
    private var result: OpaquePointer { owner.handle }

    init(_ owner: PGResult, row: Int32) {
        self.owner = owner
        self.row = row
    }

    func isNull(_ column: Int32) -> Bool { PQgetisnull(result, row, column) == 1 }

    func int64(_ column: Int32) throws(PGError) -> Int64 {
        let bytes = try value(column, types: [20, 23, 21])
        var number: Int64 = 0
        for byte in bytes { number = number << 8 | Int64(byte) }
        // Sign-extend int2 and int4.
        let width = bytes.count * 8
        return width < 64 ? (number << (64 - width)) >> (64 - width) : number
    }

    func int(_ column: Int32) throws(PGError) -> Int { Int(try int64(column)) }

    func bool(_ column: Int32) throws(PGError) -> Bool { try value(column, types: [16]) == [1] }

    func double(_ column: Int32) throws(PGError) -> Double {
        let bytes = try value(column, types: [701])
        var bits: UInt64 = 0
        for byte in bytes { bits = bits << 8 | UInt64(byte) }
        return Double(bitPattern: bits)
    }

    func text(_ column: Int32) throws(PGError) -> String {
        String(decoding: try value(column, types: [25, 1043, 19]), as: UTF8.self)
    }

    func bytes(_ column: Int32) throws(PGError) -> [UInt8] { try value(column, types: [17]) }

    func optionalInt64(_ column: Int32) throws(PGError) -> Int64? { isNull(column) ? nil : try int64(column) }
    func optionalText(_ column: Int32) throws(PGError) -> String? { isNull(column) ? nil : try text(column) }
    func optionalBytes(_ column: Int32) throws(PGError) -> [UInt8]? { isNull(column) ? nil : try bytes(column) }

    private func value(_ column: Int32, types: Set<Oid>) throws(PGError) -> [UInt8] {
        guard column < PQnfields(result) else { throw Self.mismatch("no column \(column)") }
        let type = PQftype(result, column)
        guard types.contains(type) else { throw Self.mismatch("column \(column) has type OID \(type)") }
        guard !isNull(column) else { throw Self.mismatch("column \(column) is NULL") }
        let count = Int(PQgetlength(result, row, column))
        guard let pointer = PQgetvalue(result, row, column) else { return [] }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
        let expected: Int? = switch type { case 20: 8; case 23: 4; case 21: 2; case 16: 1; case 701: 8; default: nil }
        if let expected, expected != count { throw Self.mismatch("column \(column) holds \(count) bytes") }
        return [UInt8](bytes)
    }

    private static func mismatch(_ what: String) -> PGError {
        PGError(kind: .unexpectedResult, sqlState: "", message: "the result does not have the expected shape: \(what)")
    }
}
