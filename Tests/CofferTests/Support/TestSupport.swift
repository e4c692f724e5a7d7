import Foundation
import Synchronization
import Testing
import TestSupport
import VaultCore
import VaultCrypto
import VaultStore

/// A directory that exists for one test and is removed afterwards.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "coffer-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appending(path: name).path }
}

/// A settable clock shared with the vault under test. Every in-process vault reads "now" from
/// one or from `TestClock.start`, so no test depends on the day it runs.
final class TestClock: Sendable {
    /// 2026-06-15T12:00:00Z. Expirations such as 203012 stay in the future of it for ever.
    static let start = Date(timeIntervalSince1970: 1_781_524_800)

    private let current: Mutex<Date>
    init(_ date: Date = start) { current = Mutex(date) }
    var now: Date {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}

/// A vault over a real SQLite store in a temporary directory (or, made with `onPostgreSQL`, over a
/// fresh database on the test PostgreSQL).
struct TestVault {
    let directory: TemporaryDirectory
    let storage: any VaultStorage
    let vault: Vault
    let masterKey: MasterKey
    let tenant: TenantID

    var databasePath: String { directory.path("coffer.db") }
    /// An admin key's principal for `tenant`: what tests call the vault as.
    var admin: Principal { .admin(of: tenant) }

    /// `wrap` puts a test's own layer (`InterposingStorage`) between the vault and the store.
    static func make(masterKey: MasterKey = .generate(), policy: VaultPolicy = VaultPolicy(),
                     synchronous: SQLiteSynchronous = .full,
                     clock: @escaping @Sendable () -> Date = { TestClock.start },
                     wrap: (any VaultStorage) -> any VaultStorage = { $0 }) async throws -> TestVault {
        let directory = try TemporaryDirectory()
        let storage = wrap(try SQLiteStorage.open(path: directory.path("coffer.db"), synchronous: synchronous))
        let vault = try await Vault.open(storage: storage, masterKey: masterKey, policy: policy, clock: clock)
        let tenant = try await vault.createTenant(name: "test", actor: "test").id
        return TestVault(directory: directory, storage: storage, vault: vault, masterKey: masterKey, tenant: tenant)
    }

    /// A vault over `PostgreSQLStorage` on a new database of the test PostgreSQL.
    static func onPostgreSQL(masterKey: MasterKey = .generate(),
                             clock: @escaping @Sendable () -> Date = { TestClock.start }) async throws -> TestVault {
        let storage = try PostgreSQLStorage.open(uri: try await TestPostgreSQL.makeDatabase())
        let vault = try await Vault.open(storage: storage, masterKey: masterKey, clock: clock)
        let tenant = try await vault.createTenant(name: "test", actor: "test").id
        return TestVault(directory: try TemporaryDirectory(), storage: storage, vault: vault, masterKey: masterKey, tenant: tenant)
    }

    /// Closes the store and opens it again from the files, as after a restart.
    func reopened(policy: VaultPolicy = VaultPolicy(), clock: @escaping @Sendable () -> Date = { TestClock.start }) async throws -> TestVault {
        await storage.close()
        let storage = try SQLiteStorage.open(path: databasePath)
        let vault = try await Vault.open(storage: storage, masterKey: masterKey, policy: policy, clock: clock)
        return TestVault(directory: directory, storage: storage, vault: vault, masterKey: masterKey, tenant: tenant)
    }
}

/// Valid, distinct test PANs: prefix, then `index` zero-padded, then whichever check digit
/// the vault's own validation accepts.
enum TestPAN {
    static func make(_ index: Int, prefix: String = "4000", length: Int = 16) -> String {
        let body = prefix + String(index).leftPadded(to: length - 1 - prefix.count)
        let digit = (0...9).first { (try? PrimaryAccountNumber(body + String($0))) != nil }!
        return body + String(digit)
    }

    static func card(_ index: Int, expiration: String = "203012") throws -> CardInput {
        .plain(CardData(number: try PrimaryAccountNumber(make(index)),
                        expiration: try ExpirationDate(yyyymm: expiration), securityCode: nil))
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

/// Every run of 12 or more ASCII digits in `bytes`, so files can be searched for PANs quickly.
func digitRuns(in bytes: [UInt8], minimumLength: Int = 12) -> [String] {
    var runs: [String] = []
    var start: Int?
    for index in 0...bytes.count {
        let isDigit = index < bytes.count && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
        if isDigit {
            if start == nil { start = index }
        } else if let begin = start {
            if index - begin >= minimumLength {
                runs.append(String(decoding: bytes[begin..<index], as: UTF8.self))
            }
            start = nil
        }
    }
    return runs
}

/// True when any of `numbers` appears as ASCII digits anywhere in the file.
func file(_ path: String, containsAnyOf numbers: Set<String>) throws -> Bool {
    guard FileManager.default.fileExists(atPath: path) else { return false }
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let lengths = Set(numbers.map(\.count))
    for run in digitRuns(in: bytes) {
        let characters = Array(run)
        for length in lengths where length <= characters.count {
            for start in 0...(characters.count - length) where numbers.contains(String(characters[start..<start + length])) {
                return true
            }
        }
    }
    return false
}

extension Principal {
    /// The principal of an admin API key of `tenant`, as authentication builds it: every grant
    /// of the tenant, no limits. In-process tests call the vault as it.
    static func admin(of tenant: TenantID) -> Principal {
        Principal(tenantID: tenant, credential: .apiKey(.generate()), roles: [.admin], limits: .unlimited)
    }
}
