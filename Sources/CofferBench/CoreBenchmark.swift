import Foundation
import Synchronization
import VaultCore
import VaultStore

/// Tokenize, then reveal and read metadata of what was tokenized, each phase for a fixed time
/// with a fixed number of concurrent callers (as an HTTP front end with that many connections).
struct CoreBenchmark {
    var seconds: Double
    var concurrency: Int

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "coffer-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let storage = try SQLiteStorage.open(path: directory.appending(path: "coffer.db").path)
        let vault = try await Vault.open(storage: storage, masterKey: .generate())
        let created = try await vault.createTenant(name: "bench", actor: "bench")
        let tenant = created.id
        // The tenant's admin key, as the HTTP benchmark calls with: every grant, no limits.
        let caller = try await vault.authenticate(apiKey: created.adminKey.secret, actor: "bench")
        let expiration = try ExpirationDate(yyyymm: "203012")

        let tokens = TokenLog()
        let tokenize = try await phase { index in
            let number = try PrimaryAccountNumber(BenchPAN.make(index))
            let card = CardData(number: number, expiration: expiration, securityCode: nil)
            tokens.append(try await vault.tokenize(.plain(card), tenant: tenant, caller: caller, actor: "bench").metadata.token)
        }
        report("coffer_tokenize_per_s", tokenize)
        let stored = tokens.all
        let reveal = try await phase { index in
            _ = try await vault.reveal(stored[index % stored.count], tenant: tenant, caller: caller, actor: "bench")
        }
        report("coffer_reveal_per_s", reveal)
        let metadata = try await phase { index in
            _ = try await vault.metadata(of: stored[index % stored.count], tenant: tenant, caller: caller)
        }
        report("coffer_metadata_per_s", metadata)
        print("coffer_writer_mean_batch \(String(format: "%.1f", storage.writeStats.averageBatchSize))")
        await storage.close()
    }

    struct PhaseResult {
        var operations: Int
        var elapsed: Double
        var latencies: [Double]
    }

    /// Runs `operation(index)` from `concurrency` callers until the time is up.
    private func phase(_ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> PhaseResult {
        let counter = Counter()
        let start = ContinuousClock.now
        let deadline = start.advanced(by: .milliseconds(Int(seconds * 1000)))
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    while ContinuousClock.now < deadline {
                        let began = ContinuousClock.now
                        try await operation(counter.next())
                        latencies.append((ContinuousClock.now - began) / .microseconds(1))
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }
        }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        return PhaseResult(operations: latencies.count, elapsed: elapsed, latencies: latencies.sorted())
    }

    private func report(_ name: String, _ result: PhaseResult) {
        print("\(name) \(Int(Double(result.operations) / result.elapsed))")
        guard !result.latencies.isEmpty else { return }
        let p50 = result.latencies[result.latencies.count / 2]
        let p99 = result.latencies[min(result.latencies.count - 1, result.latencies.count * 99 / 100)]
        let base = name.replacingOccurrences(of: "_per_s", with: "")
        print("\(base)_p50_us \(Int(p50))")
        print("\(base)_p99_us \(Int(p99))")
    }
}

/// Distinct valid Visa test numbers: `4`, the index zero-padded, and the check digit the
/// vault's own validation accepts.
enum BenchPAN {
    static func make(_ index: Int) -> String {
        let digits = String(index)
        let body = "4" + String(repeating: "0", count: 14 - digits.count) + digits
        let check = (0...9).first { (try? PrimaryAccountNumber(body + String($0))) != nil }!
        return body + String(check)
    }
}

final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}

final class TokenLog: Sendable {
    private let tokens = Mutex<[Token]>([])
    func append(_ token: Token) { tokens.withLock { $0.append(token) } }
    var all: [Token] { tokens.withLock { $0 } }
}
