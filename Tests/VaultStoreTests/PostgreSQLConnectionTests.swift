import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

/// The libpq wrapper against a real PostgreSQL server (`TestPostgreSQL`): binary parameters and
/// results of every type the engine uses, prepared statements, SQLSTATE classes, and messages that
/// never carry a statement's values or the connection's password.
@Suite("PostgreSQL connection", .ownThreads, .enabled(if: TestPostgreSQL.isAvailable))
struct PostgreSQLConnectionTests {
    private func connect() async throws -> PGConnection {
        let uri = try await TestPostgreSQL.makeDatabase()
        return try await blocking { () throws(PGError) in try PGConnection.connect(uri) }
    }

    @Test func everyTypeRoundTripsInBinary() async throws {
        let connection = try await connect()
        let bytes = [UInt8](0...255)
        let values = try await blocking { () throws -> [String] in
            let row = try #require(try connection.query(
                "SELECT $1::int8, $2::int8, $3::float8, $4::bool, $5::text, $6::text, $7::bytea, $8::bytea, $9::text, 7::int4, (-3)::int2",
                Int64.min, Int64.max, -0.1, true, "café ✓", "", bytes, [UInt8](), String?.none).first)
            return [String(try row.int64(0)), String(try row.int64(1)), String(try row.double(2)), String(try row.bool(3)),
                    try row.text(4), "[\(try row.text(5))]", String(try row.bytes(6) == bytes), String(try row.bytes(7).count),
                    String(row.isNull(8)), String(try row.int64(9)), String(try row.int64(10))]
        }
        #expect(values == ["\(Int64.min)", "\(Int64.max)", "-0.1", "true", "café ✓", "[]", "true", "0", "true", "7", "-3"])
    }

    @Test func statementsArePreparedOncePerParameterTypes() async throws {
        let connection = try await connect()
        let counts = try await blocking { () throws -> [Int] in
            try connection.executeScript("CREATE TABLE t (id int8 PRIMARY KEY, note text)")
            for id in 1...5 { try connection.execute("INSERT INTO t (id, note) VALUES ($1, $2)", id, id.isMultiple(of: 2) ? "even" : nil) }
            let prepared = try connection.rows("SELECT count(*) FROM pg_prepared_statements") { try $0.int(0) }
            let changed = try connection.execute("UPDATE t SET note = $1 WHERE id > $2", "big", 2)
            return [prepared[0], changed, try connection.rows("SELECT id FROM t WHERE note = $1 ORDER BY id", "big") { try $0.int(0) }.count]
        }
        // One INSERT with a text note and one with a NULL note (its type left to the server), and the count itself.
        #expect(counts == [3, 3, 3])
    }

    @Test func uniqueViolationIsTypedAndQuotesNoValue() async throws {
        let connection = try await connect()
        let pan = "4111111111111111"
        let error = try await blocking { () throws -> PGError? in
            try connection.executeScript("CREATE TABLE cards (fingerprint bytea CONSTRAINT cards_fingerprint UNIQUE, number text UNIQUE)")
            try connection.execute("INSERT INTO cards VALUES ($1, $2)", Array(pan.utf8), pan)
            do { try connection.execute("INSERT INTO cards VALUES ($1, $2)", Array(pan.utf8), pan) } catch let error as PGError { return error }
            return nil
        }
        let failure = try #require(error)
        #expect(failure.kind == .uniqueViolation)
        #expect(failure.sqlState == "23505")
        #expect(failure.description.contains("cards_fingerprint"))
        #expect(!failure.description.contains(pan))
        #expect(!failure.description.contains(pan.utf8.map { String(format: "%02x", $0) }.joined()))
        #expect(failure.storageError == .uniqueViolation(key: "cards_fingerprint", message: failure.description))
    }

    @Test func dataErrorsQuoteNoValue() async throws {
        let connection = try await connect()
        let error = try await blocking { () throws -> PGError? in
            do { _ = try connection.query("SELECT $1::text::int8", "4111111111111111x") } catch let error as PGError { return error }
            return nil
        }
        let failure = try #require(error)
        #expect(failure.sqlState == "22P02")
        #expect(!failure.description.contains("4111111111111111"))
        #expect(!connection.isInTransaction)
    }

    /// Write skew under SERIALIZABLE: each transaction reads both rows and changes one; the second
    /// to commit must fail with 40001, which the engine retries.
    @Test func serializationFailureIsTyped() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let (first, second) = try await blocking { () throws(PGError) in (try PGConnection.connect(uri), try PGConnection.connect(uri)) }
        let outcome = try await blocking { () throws -> PGError? in
            try first.executeScript("CREATE TABLE doctors (id int8 PRIMARY KEY, on_call bool); INSERT INTO doctors VALUES (1, true), (2, true)")
            for connection in [first, second] {
                try connection.executeScript("BEGIN ISOLATION LEVEL SERIALIZABLE")
                _ = try connection.query("SELECT count(*) FROM doctors WHERE on_call")
            }
            try first.execute("UPDATE doctors SET on_call = false WHERE id = $1", 1)
            try second.execute("UPDATE doctors SET on_call = false WHERE id = $1", 2)
            try first.executeScript("COMMIT")
            #expect(second.isInTransaction)
            do { try second.executeScript("COMMIT") } catch let error as PGError { return error }
            return nil
        }
        let failure = try #require(outcome)
        #expect(failure.kind == .serializationFailure)
        #expect(failure.sqlState == "40001")
        #expect(!second.isInTransaction)
    }

    @Test func aFailedConnectionNamesNoPassword() async throws {
        let error = await blocking { () -> PGError? in
            do throws(PGError) {
                _ = try PGConnection.connect("postgresql://coffer:s3cret-Pa55@/nowhere?host=/nonexistent-socket-dir&connect_timeout=2")
                return nil
            } catch {
                return error
            }
        }
        let failure = try #require(error)
        #expect(failure.kind == .connection)
        #expect(!failure.description.contains("s3cret-Pa55"))
        #expect(failure.description.contains("nonexistent-socket-dir"))
    }

    @Test func aColumnOfAnotherTypeIsUnexpected() async throws {
        let connection = try await connect()
        let error = try await blocking { () throws -> PGError? in
            do { _ = try connection.query("SELECT 'x'::text").first?.int64(0) } catch let error as PGError { return error }
            return nil
        }
        #expect(error?.kind == .unexpectedResult)
        #expect(error?.storageError.code == "storage_corrupt")
    }
}
