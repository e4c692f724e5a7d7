import Foundation
import Testing
import VaultCore
@testable import VaultStore

/// A directory that exists for one test and is removed afterwards.
final class ScratchDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "coffer-store-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appending(path: name).path }
    var database: String { path("coffer.db") }
}

/// Millisecond-aligned dates, which round-trip exactly through the store.
func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

enum Sample {
    static let now = date(1_700_000_000_123)

    static func tenant(_ name: String = "acme", parent: TenantID? = nil, at createdAt: Date = now) -> TenantRecord {
        TenantRecord(id: .generate(), name: name, parentID: parent, wrappedFingerprintKey: bytes(60, seed: 1),
                     createdAt: createdAt)
    }

    static func dataKey(_ version: Int) -> DataKeyRecord {
        DataKeyRecord(version: version, wrappedKey: bytes(60, seed: UInt8(version)), createdAt: now)
    }

    static func card(tenant: TenantID, keyVersion: Int = 1, fingerprint: [UInt8] = bytes(32, seed: 7),
                     ciphertext: [UInt8] = bytes(58, seed: 9), at createdAt: Date = now) -> CardRecord {
        CardRecord(token: .generate(), tenantID: tenant, ciphertext: ciphertext, keyVersion: keyVersion,
                   fingerprint: fingerprint, bin: "411111", last4: "1111", brand: .visa,
                   expiration: try! ExpirationDate(yyyymm: "203012"), createdAt: createdAt, updatedAt: createdAt)
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0 &* 7) }
    }
}

/// Opens the store at `path` and gives it a tenant and data key 1, for tests that write cards.
func openWithTenant(_ path: String) async throws -> (SQLiteStorage, TenantID) {
    let storage = try SQLiteStorage.open(path: path)
    let tenant = Sample.tenant()
    try await storage.write { writer in
        try writer.insertTenant(tenant)
        try writer.insertDataKey(Sample.dataKey(1))
    }
    return (storage, tenant.id)
}

/// Names of the tables and triggers in the database, read through a separate connection.
func schemaObjects(_ path: String) throws -> Set<String> {
    let connection = try SQLiteConnection.open(path: path, mode: .readOnly)
    defer { connection.close() }
    return Set(try connection.query("SELECT name FROM sqlite_schema WHERE type IN ('table', 'trigger')") { $0.text(0) })
}

func appliedVersions(_ path: String) throws -> [Int] {
    let connection = try SQLiteConnection.open(path: path, mode: .readOnly)
    defer { connection.close() }
    return try connection.query("SELECT version FROM schema_migrations ORDER BY version") { $0.int(0) }
}

func fileBytes(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// The `StorageError` a call threw, or nil.
func storageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)")
        return nil
    }
}

struct IntentionalFailure: Error {}

/// Holds the writer thread inside a job of its own while `start` queues writes, then lets the
/// writer go: the writes queued by then form its next batch together. `start` starts them with
/// `Task.immediate`, which runs each task on this thread up to its first suspension — the write
/// waiting in the writer's queue — so they are queued when it returns, however busy the machine.
/// Returns what `start` returned (typically the writes' tasks).
func whileWriterHeld<T>(_ storage: SQLiteStorage, start: () -> T) async throws -> T {
    let (entered, signalEntered) = AsyncStream<Void>.makeStream()
    let release = DispatchSemaphore(value: 0)
    let gate = Task {
        try await storage.write { _ in
            signalEntered.yield()
            // Blocks the storage's own writer thread, not the cooperative pool.
            release.wait()
        }
    }
    for await _ in entered { break }
    let started = start()
    release.signal()
    try await gate.value
    return started
}
