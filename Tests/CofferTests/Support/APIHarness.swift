import CardVerifiers
import Foundation
import HTTPServer
import Logging
import Metrics
import Testing
import VaultAPI
import VaultCore
import VaultStore

/// The HTTP API in process, over a real SQLite vault with a settable clock: requests go
/// straight to `VaultAPI.handle`, so tests can move time and run many requests concurrently.
struct APIHarness {
    let test: TestVault
    let api: VaultAPI
    let clock: TestClock
    let log: CapturingLogSink
    /// A tenant of its own with an admin key.
    let client: TenantID
    let key: String

    static func make(policy: VaultPolicy = VaultPolicy(), synchronous: SQLiteSynchronous = .full,
                     cardVerifier: any CardVerifier = SandboxCardVerifier(),
                     wrap: (any VaultStorage) -> any VaultStorage = { $0 }) async throws -> APIHarness {
        let clock = TestClock()
        let test = try await TestVault.make(policy: policy, synchronous: synchronous, clock: { clock.now }, wrap: wrap)
        let created = try await test.vault.createTenant(name: "client", actor: "test")
        let log = CapturingLogSink()
        let api = try VaultAPI(vault: test.vault, logger: Logger(label: "test", sink: log), metrics: MetricsRegistry(),
                               cardVerifier: cardVerifier)
        return APIHarness(test: test, api: api, clock: clock, log: log, client: created.id, key: created.adminKey.secret)
    }

    struct Response: Sendable {
        var status: Int
        var body: String
        var headers: HTTPHeaders = [:]
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
        /// TabaPay's envelope fields.
        var sc: Int? { json?["SC"] as? Int }
        var ec: String? { json?["EC"] as? String }
        var em: String? { json?["EM"] as? String }
    }

    /// `target` may carry a query (`/v1/…?RejectDuplicateCard`); `key` nil sends no Authorization;
    /// `source` is the peer address the request comes from.
    func request(_ method: String, _ target: String, body: String = "", key: String? = nil,
                 headers: [String: String] = [:], source: String = "127.0.0.1") async -> Response {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var fields: HTTPHeaders = ["Host": "127.0.0.1", "Content-Type": "application/json"]
        if let key { fields.add("Authorization", "Bearer \(key)") }
        for (name, value) in headers { fields.add(name, value) }
        let request = HTTPRequest(method: method, target: target, path: String(parts[0]),
                                  query: parts.count > 1 ? String(parts[1]) : nil, headers: fields, body: Array(body.utf8))
        let context = HTTPRequestContext(remoteAddress: source, isTLS: false, receivedAt: .now)
        let response = await api.handle(request, context)
        return Response(status: response.status.rawValue, body: String(decoding: response.body, as: UTF8.self),
                        headers: response.headers)
    }

    /// A new API key of the harness's tenant, made through the API by its admin: `limits` is the
    /// request's JSON for them, absent when nil.
    func makeKey(_ roles: [Role], limits: String? = nil) async throws -> String {
        let names = roles.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
        let body = #"{"roles":[\#(names)]"# + (limits.map { #","limits":\#($0)"# } ?? "") + "}"
        let created = await request("POST", "/vault/v1/apikeys", body: body, key: key)
        return try #require(created.json?["apiKey"] as? String, "\(created.body)")
    }
}
