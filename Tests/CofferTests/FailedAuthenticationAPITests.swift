import Foundation
import HTTPServer
import Testing
import TestSupport
@testable import VaultAPI
import VaultCore

/// Failed authentication as callers meet it: every cause audited, in aggregate per source and
/// cause; a source that keeps failing limited; the `Bearer` scheme in any case; `401` naming the
/// scheme in every dialect.
@Suite("Failed authentication: audited in aggregate, limited per source", .ownThreads)
struct FailedAuthenticationAPITests {
    /// An API key's shape (`ck_` + 43 Base64URL characters) that no tenant holds.
    static let unknownKey = "ck_" + String(repeating: "A", count: 43)
    static let card = #"{"number":"4111111111111111","expirationDate":"203012"}"#

    /// The failed-authentication entries of the audit log, oldest first.
    static func failures(_ api: APIHarness) async throws -> [AuditEntry] {
        try await api.test.vault.auditEntries(after: 0, limit: 100_000).filter { $0.event.action == .authenticationFailure }
    }

    /// Headers that fail authentication, one per cause that needs nothing stored.
    static let failingHeaders: [[String: String]] = [
        [:], ["Authorization": "Basic dXNlcjpwYXNz"], ["Authorization": "Bearer not a key"],
        ["Authorization": "Bearer \(unknownKey)"], ["Authorization": "bearer \(unknownKey)"],
    ]

    @Test("5,000 failures from one address add at most two rows per cause and interval; their counts add up to 5,000")
    func floodIsBounded() async throws {
        let api = try await APIHarness.make()
        let source = "203.0.113.9"
        var statuses: Set<Int> = []
        for index in 0..<5_000 {
            let response = await api.request("GET", "/vault/v1/cards/\(Token.generate().rawValue)",
                                             headers: Self.failingHeaders[index % Self.failingHeaders.count], source: source)
            statuses.insert(response.status)
        }
        #expect(statuses.isSubset(of: [401, 429]))
        // The interval ends: the next failure of each cause writes what the interval counted.
        api.clock.now += 61
        for headers in Self.failingHeaders {
            _ = await api.request("GET", "/vault/v1/cards/\(Token.generate().rawValue)", headers: headers, source: source)
        }
        let rows = try await Self.failures(api)
        // Four causes (the unknown key counts once whatever the scheme's case): one row at the
        // first failure, one for the rest of the interval.
        #expect(rows.count <= 2 * 4, "\(rows.count) rows")
        #expect(rows.reduce(0) { $0 + $1.event.count } == 5_000)
        #expect(rows.allSatisfy { $0.event.actor.name == "anonymous" && $0.event.actor.source == source })
    }

    @Test("Each cause reaches the audit log at once, named from a fixed vocabulary, with its source and request id")
    func everyCauseIsAudited() async throws {
        let api = try await APIHarness.make()
        let revoked = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.tokenize], label: "old", actor: "test")
        try await api.test.vault.revokeAPIKey(revoked.record.id, tenant: api.client, actor: "test")
        let sub = await api.request("POST", "/vault/v1/tenants", body: #"{"name":"shop","subTenant":true}"#, key: api.key)
        let subID = try #require(sub.json?["tenantId"] as? String)
        let subKey = try #require(sub.json?["apiKey"] as? String)
        #expect(await api.request("POST", "/vault/v1/tenants/\(subID)/disable", key: api.key).status == 200)

        let cases: [(cause: String, authorization: String?, tenant: TenantID?)] = [
            ("missing_credential", nil, nil),
            ("unsupported_scheme", "Basic dXNlcjpwYXNz", nil),
            ("malformed_credential", "Bearer", nil),
            ("malformed_credential", "Bearer ck_short", nil),
            ("unknown_key", "bearer \(Self.unknownKey)", nil),
            ("unknown_key", "Bearer \(Self.unknownKey)", nil),
            ("revoked_key", "Bearer \(revoked.secret)", api.client),
            ("tenant_disabled", "Bearer \(subKey)", TenantID(validating: subID)),
            ("invalid_sso_token", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", nil),
        ]
        for (index, expected) in cases.enumerated() {
            let source = "198.51.100.\(index + 1)"
            var headers = ["X-Request-Id": "attempt-\(index)"]
            headers["Authorization"] = expected.authorization
            let response = await api.request("POST", "/vault/v1/cards", body: Self.card, headers: headers, source: source)
            #expect(response.status == 401, "\(expected.cause)")
            let entry = try #require(try await Self.failures(api).last)
            #expect(entry.event.subject == expected.cause)
            #expect(entry.event.actor == AuditActor(name: "anonymous", source: source, requestID: "attempt-\(index)"))
            #expect(entry.event.count == 1 && entry.event.outcome == .failure)
            #expect(entry.event.tenantID == expected.tenant, "\(expected.cause)")
        }
        #expect(try await api.test.vault.cardCount() == 0)
    }

    @Test("The scheme is case-insensitive: Bearer, bearer, BEARER and bEaReR all authenticate a valid key")
    func schemeIsCaseInsensitive() async throws {
        let api = try await APIHarness.make()
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            let response = await api.request("POST", "/vault/v1/cards", body: Self.card, headers: ["Authorization": "\(scheme) \(api.key)"])
            #expect(response.status == 201, "\(scheme): \(response.body)")
        }
        #expect(try await Self.failures(api).isEmpty)
    }

    @Test("401 carries WWW-Authenticate: Bearer in every dialect's envelope")
    func unauthorizedNamesTheScheme() async throws {
        let api = try await APIHarness.make()
        let routes: [(path: String, envelope: @Sendable (APIHarness.Response) -> Bool)] = [
            ("/vault/v1/cards", { ($0.json?["error"] as? [String: String])?["code"] == "unauthenticated" }),
            ("/v1/clients/\(api.client.rawValue)/accounts", { $0.sc == 401 && $0.ec == "40100001" && $0.em == "Authorization" }),
            ("/v1/client/sync", { ($0.json?["error"] as? [String: String])?["code"] == "unauthenticated" }),
            ("/platform/v1/payment/cards/sync_card", { $0.json?["status"] as? String == "Error" }),
        ]
        for (index, route) in routes.enumerated() {
            for key in [nil, Self.unknownKey] {
                let response = await api.request("POST", route.path, body: "{}", key: key, source: "192.0.2.\(index + 1)")
                #expect(response.status == 401, "\(route.path)")
                #expect(response.headers["WWW-Authenticate"] == "Bearer", "\(route.path)")
                #expect(route.envelope(response), "\(route.path): \(response.body)")
            }
        }
    }

    @Test("A source out of failures gets 429 with Retry-After in each dialect, while a valid key from it is served")
    func failingSourceIsLimited() async throws {
        let api = try await APIHarness.make()
        let source = "203.0.113.50"
        var refused = 0
        var limited: APIHarness.Response?
        while limited == nil, refused < 1_000 {
            let response = await api.request("POST", "/vault/v1/cards", body: Self.card, key: Self.unknownKey, source: source)
            if response.status == 429 { limited = response } else { #expect(response.status == 401); refused += 1 }
        }
        let native = try #require(limited, "no 429 after \(refused) failures")
        #expect(refused >= 5, "a few failures are answered 401 first")
        #expect((native.json?["error"] as? [String: String])?["code"] == "too_many_failed_authentications")
        let retryAfter = try #require(native.headers["Retry-After"].flatMap { Int($0) })
        #expect(retryAfter >= 1)
        #expect(native.headers["WWW-Authenticate"] == nil)

        // The same source, in the other dialects' envelopes.
        let tabaPay = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts", body: "{}", source: source)
        #expect(tabaPay.status == 429 && tabaPay.sc == 429 && tabaPay.ec == "42900002" && tabaPay.headers["Retry-After"] != nil)
        let platform = await api.request("POST", "/platform/v1/payment/cards/sync_card", body: "{}", source: source)
        #expect(platform.status == 429 && platform.json?["status"] as? String == "Error" && platform.headers["Retry-After"] != nil)
        let sync = await api.request("POST", "/v1/client/sync", body: "{}", source: source)
        #expect(sync.status == 429 && sync.headers["Retry-After"] != nil)

        // A valid key from the same address (another client behind the same NAT) is served.
        #expect(await api.request("POST", "/vault/v1/cards", body: Self.card, key: api.key, source: source).status == 201)
        // Another address is not limited.
        #expect(await api.request("POST", "/vault/v1/cards", body: Self.card, key: Self.unknownKey, source: "203.0.113.51").status == 401)
        // Once Retry-After has passed, a failure is answered 401 again.
        api.clock.now += TimeInterval(retryAfter)
        #expect(await api.request("POST", "/vault/v1/cards", body: Self.card, key: Self.unknownKey, source: source).status == 401)
        // Limited failures are counted like the others, never a row each: one row per source and
        // cause so far (the unknown key and the missing header from this source, the other source).
        #expect(try await Self.failures(api).count == 3)
    }

    @Test("An IPv6 source is limited by its /64: another address in it shares the limit, another /64 does not")
    func ipv6SourcesShareTheirPrefix() async throws {
        let api = try await APIHarness.make()
        var host = 0
        var limited = false
        while !limited, host < 1_000 {
            host += 1
            let address = "2001:db8:5:6:\(String(host, radix: 16))::1"
            limited = await api.request("POST", "/vault/v1/cards", body: Self.card, key: Self.unknownKey, source: address).status == 429
        }
        #expect(limited, "hosts of one /64 are one source")
        #expect(await api.request("POST", "/vault/v1/cards", body: Self.card, key: Self.unknownKey,
                                  source: "2001:db8:5:7::1").status == 401)
        let rows = try await Self.failures(api)
        #expect(rows.count == 2 && rows.allSatisfy { $0.event.actor.source?.hasSuffix("::/64") == true })
    }

    @Test("Failed authentications are counted in /metrics by cause and answer")
    func metricsCountFailures() async throws {
        let api = try await APIHarness.make()
        let operatorKey = try await api.test.vault.createTenant(
            name: "operator", actor: "test", adminRoles: Role.tenantRoles.union(Role.operatorRoles)).adminKey.secret
        for headers in Self.failingHeaders {
            _ = await api.request("POST", "/vault/v1/cards", body: Self.card, headers: headers, source: "192.0.2.77")
        }
        let metrics = await api.request("GET", "/metrics", key: operatorKey)
        #expect(metrics.status == 200)
        for (cause, count) in [("missing_credential", 1), ("unsupported_scheme", 1), ("malformed_credential", 1), ("unknown_key", 2)] {
            #expect(metrics.body.contains(#"coffer_auth_failures_total{cause="\#(cause)",status="401"} \#(count)"#), "\(cause)")
        }
    }
}

@Suite("Reading the Authorization header", .ownThreads)
struct BearerCredentialTests {
    @Test("The scheme in any case, one or more spaces, a token68; anything else names its cause")
    func parse() {
        let key = FailedAuthenticationAPITests.unknownKey
        let cases: [(String?, String)] = [
            ("Bearer \(key)", key), ("bearer \(key)", key), ("BEARER \(key)", key), ("Bearer   \(key)", key),
            ("Bearer a.b.c", "a.b.c"), ("Bearer dG9rZW4+/w==", "dG9rZW4+/w=="),
            (nil, "missing_credential"), ("", "unsupported_scheme"), ("Basic dXNlcjpwYXNz", "unsupported_scheme"),
            ("Bearerx \(key)", "unsupported_scheme"), ("Bearer\t\(key)", "unsupported_scheme"), ("Bear \(key)", "unsupported_scheme"),
            ("Bearer", "malformed_credential"), ("Bearer ", "malformed_credential"), ("Bearer ==", "malformed_credential"),
            ("Bearer a b", "malformed_credential"), ("Bearer k=y", "malformed_credential"), ("Bearer ké", "malformed_credential"),
            ("Bearer " + String(repeating: "a", count: 8 * 1024 + 1), "malformed_credential"),
        ]
        for (header, expected) in cases {
            let parsed = switch BearerCredential(header: header) {
            case .present(let credential): String(credential)
            case .refused(let cause): cause.rawValue
            }
            #expect(parsed == expected, "\(header?.prefix(40) ?? "nil")")
        }
    }
}
