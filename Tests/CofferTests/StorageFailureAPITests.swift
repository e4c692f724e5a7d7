import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport
import VaultCore
import VaultStore

/// How the API answers the storage contract's typed failures: a unique key taken by a concurrent
/// twin of an idempotent request replays the winner; contention the engine could not wait out is
/// a 503 with `Retry-After`; a broken integrity rule is a 500 of its own.
@Suite("Typed storage failures over HTTP", .ownThreads)
struct StorageFailureAPITests {
    private static let card = #"{"number":"4111111111111111","expirationDate":"203012"}"#

    /// A harness whose store can be interposed on, warmed up so that the next request's only
    /// write is its operation's (the key's last use and the tenant's keys are already stored).
    private func harness() async throws -> (APIHarness, InterposingStorage) {
        let api = try await APIHarness.make(wrap: { InterposingStorage($0) })
        let storage = try #require(api.test.storage as? InterposingStorage)
        let warmUp = await api.request("POST", "/vault/v1/cards", body: #"{"number":"6011111111111117"}"#, key: api.key,
                                       headers: ["Idempotency-Key": "warm-up"])
        #expect(warmUp.status == 201, "\(warmUp.body)")
        return (api, storage)
    }

    @Test("An idempotent POST whose record insert loses to a concurrent twin (a unique key taken) answers the twin's response")
    func aLostIdempotencyRaceReplaysTheWinner() async throws {
        let (api, storage) = try await harness()
        let headers = ["Idempotency-Key": "order-7"]
        let winner = Mutex<APIHarness.Response?>(nil)
        // The loser has found no record and runs; its write waits until the twin has stored its own.
        storage.beforeNextWrite {
            let response = await api.request("POST", "/vault/v1/cards", body: Self.card, key: api.key, headers: headers)
            winner.withLock { $0 = response }
        }
        let loser = await api.request("POST", "/vault/v1/cards", body: Self.card, key: api.key, headers: headers)
        let first = try #require(winner.withLock { $0 })
        #expect(first.status == 201, "\(first.body)")
        #expect(loser.status == 201, "\(loser.body)")
        #expect(loser.body == first.body)
        #expect(loser.headers["Idempotent-Replayed"] == "true")
        // It went through the conflict: the loser's write failed on the idempotency record's key.
        let failures = storage.failures
        #expect(failures.count == 1)
        guard case .uniqueViolation(let key, _) = failures.first else {
            Issue.record("expected the loser's write to fail with .uniqueViolation, got \(failures)")
            return
        }
        #expect(key.contains("idempotency_records"), "\(key)")
        #expect(try await api.test.storage.read { try $0.cardCount() } == 2, "the warm-up's card and the winner's")
    }

    @Test("Contention beyond the engine's waiting answers 503 with Retry-After: 1 and its code; an integrity failure 500",
          arguments: [(StorageError.busy("coffer.db: database is locked"), 503, "1"),
                      (StorageError.serializationFailure("PostgreSQL: the write lost a race 12 times (SQLSTATE 40001)"), 503, "1"),
                      (StorageError.integrityViolation("FOREIGN KEY constraint failed"), 500, nil),
                      (StorageError.unavailable("coffer.db: disk I/O error"), 503, nil)])
    func contentionIsRetryable(failure: StorageError, status: Int, retryAfter: String?) async throws {
        let (api, storage) = try await harness()
        storage.beforeNextWrite { throw failure }
        let response = await api.request("POST", "/vault/v1/cards", body: Self.card, key: api.key)
        #expect(response.status == status)
        #expect(response.headers["Retry-After"] == retryAfter)
        let error = try #require(response.json?["error"] as? [String: String])
        #expect(error["code"] == failure.code)
        #expect(error["message"] == "The store could not complete the operation.", "the engine's message stays in the log")
        #expect(try await api.test.storage.read { try $0.cardCount() } == 1, "only the warm-up's card")
    }
}

/// A store whose next write first runs an action — another request, or a thrown failure — so a
/// test puts a race or an outage exactly where it wants it. Remembers the storage failures writes
/// ended with.
final class InterposingStorage: VaultStorage {
    private let base: any VaultStorage
    private let action = Mutex<(@Sendable () async throws -> Void)?>(nil)
    private let recorded = Mutex<[StorageError]>([])

    init(_ base: any VaultStorage) { self.base = base }

    func beforeNextWrite(_ action: @escaping @Sendable () async throws -> Void) {
        self.action.withLock { $0 = action }
    }

    var failures: [StorageError] { recorded.withLock { $0 } }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await base.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        let next = action.withLock { action in
            defer { action = nil }
            return action
        }
        do {
            try await next?()
            return try await base.write(body)
        } catch let error as StorageError {
            recorded.withLock { $0.append(error) }
            throw error
        }
    }

    func close() async { await base.close() }
}

@Suite("Typed storage failures on the command line", .ownThreads)
struct StorageFailureCommandTests {
    @Test("A command that finds the database locked past the busy timeout exits 75 (EX_TEMPFAIL) with storage_busy")
    func busyIsATemporaryFailure() async throws {
        let directory = try TemporaryDirectory()
        let (dataDir, _, _) = try await CofferCommandTests.initialize(directory)
        // Another process's write transaction — here this one's writer thread — holds the lock
        // longer than coffer's 5 s busy timeout.
        let holder = try SQLiteStorage.open(path: dataDir + "/coffer.db")
        let (entered, signalEntered) = AsyncStream<Void>.makeStream()
        let release = DispatchSemaphore(value: 0)
        let holding = Task {
            try await holder.write { _ in
                signalEntered.yield()
                _ = release.wait(timeout: .now() + 30)
            }
        }
        for await _ in entered { break }
        let result = try await ProcessRunner.coffer(["tenants", "create", "--name", "merchant", "--data-dir", dataDir])
        release.signal()
        try await holding.value
        await holder.close()
        #expect(result.status == 75, "\(result.standardError)")
        #expect(result.standardError.contains("(storage_busy)"), "\(result.standardError)")
        #expect(result.standardError.contains("run the command again"), "\(result.standardError)")
    }
}
