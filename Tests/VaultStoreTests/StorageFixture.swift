import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

/// The engines the storage conformance suite runs every behaviour test against (as GRDB runs its
/// tests over every database kind). PostgreSQL only where its server is installed (always in CI).
enum StorageKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    static let available: [StorageKind] = TestPostgreSQL.isAvailable ? allCases : [.sqlite]

    var testDescription: String { rawValue }
}

/// What the conformance tests use of an engine besides `VaultStorage`.
protocol TestableStorage: VaultStorage {
    var appliedMigrations: [String] { get }
    var writeStats: GroupCommitStats { get }
}

extension SQLiteStorage: TestableStorage {}
extension PostgreSQLStorage: TestableStorage {}

/// A fresh, empty database of one kind — a file in a scratch directory, or a new database on the
/// test PostgreSQL — that each `open()` opens (again).
final class StoreFixture: Sendable {
    let kind: StorageKind
    /// The SQLite file's path or the PostgreSQL URI.
    let location: String
    private let directory: ScratchDirectory?

    init(_ kind: StorageKind) async throws {
        self.kind = kind
        switch kind {
        case .sqlite:
            let directory = try ScratchDirectory()
            self.directory = directory
            location = directory.database
        case .postgresql:
            directory = nil
            location = try await TestPostgreSQL.makeDatabase()
        }
    }

    func open(maxReaders: Int = 4) throws -> any TestableStorage {
        switch kind {
        case .sqlite: try SQLiteStorage.open(path: location, maxReaders: maxReaders)
        case .postgresql: try PostgreSQLStorage.open(uri: location, maxReaders: maxReaders)
        }
    }

    /// Opens the storage and gives it a tenant and data key 1, for tests that write cards.
    func openWithTenant() async throws -> (any TestableStorage, TenantID) {
        let storage = try open()
        let tenant = Sample.tenant()
        try await storage.write { writer in
            try writer.insertTenant(tenant)
            try writer.insertDataKey(Sample.dataKey(1))
        }
        return (storage, tenant.id)
    }
}
