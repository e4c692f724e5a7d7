import Foundation
import Testing
import TestSupport
import VaultCore

/// Per-key token buckets (docs/api/native.md, "Rate limits"): over its limit a key gets 429 with
/// `Retry-After` in its dialect's envelope, nothing is done, and the refusal is counted.
@Suite("Per-key rate limits over the API", .ownThreads)
struct RateLimitAPITests {
    /// Sends `count` requests from 16 concurrent callers; each answer, and how long it all took.
    static func burst(_ count: Int, _ send: @escaping @Sendable (Int) async -> APIHarness.Response) async
        -> (answers: [APIHarness.Response], seconds: Double) {
        let started = ContinuousClock.now
        let answers = await withTaskGroup(of: [APIHarness.Response].self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var answers: [APIHarness.Response] = []
                    for index in stride(from: worker, to: count, by: 16) { answers.append(await send(index)) }
                    return answers
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        return (answers, (ContinuousClock.now - started) / .seconds(1))
    }

    static func tokenizeBody(_ index: Int) -> String {
        #"{"number":"\#(TestPAN.make(index))","expirationDate":"203012"}"#
    }

    /// `coffer_rate_limited_total{operation=…}` as `/metrics` shows it.
    static func refusalsCounted(_ api: APIHarness, _ operation: String) async throws -> Int? {
        let scraper = try await api.test.vault.createAPIKey(tenant: api.client, roles: [.metrics], label: "scraper",
                                                            actor: "test").secret
        let text = await api.request("GET", "/metrics", key: scraper).body
        let prefix = #"coffer_rate_limited_total{operation="\#(operation)"} "#
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
    }

    static func tokenizeEntries(_ api: APIHarness) async throws -> Int {
        try await api.test.vault.auditEntries(after: 0, limit: 100_000).filter { $0.event.action == .cardTokenize }.count
    }

    @Test("A granted non-admin key asking for 3,000 duplicate answers in a burst is refused after its default limit")
    func duplicateAnswersBurst() async throws {
        let api = try await APIHarness.make()
        let granted = try await api.makeKey([.tokenize, .fingerprint])
        let (answers, seconds) = await Self.burst(3_000) { index in
            await api.request("POST", "/vault/v1/cards", body: Self.tokenizeBody(index), key: granted)
        }
        let emptied = ContinuousClock.now
        let stored = answers.filter { $0.status == 201 }
        let refused = answers.filter { $0.status == 429 }
        #expect(stored.count + refused.count == 3_000)
        // The default: a burst of 100, then 5 a second.
        #expect(stored.count >= 100 && Double(stored.count) <= 101 + 5 * seconds, "\(stored.count) in \(seconds) s")
        #expect(stored.allSatisfy { $0.json?["duplicates"] as? [String] == [] })
        for answer in refused {
            #expect(answer.json?["error"] as? [String: String] == [
                "code": "rate_limited", "message": "This API key is over its duplicates limit; retry later.",
            ])
            #expect(answer.headers["Retry-After"] == "1", "at 5 a second the next answer is at most 0.2 s away")
        }
        // Metadata answers carry the fingerprint, so they draw on the same (now empty) bucket: of
        // ten at once, only those refilled since the burst (5 a second) pass.
        let token = try #require(stored.first?.json?["token"] as? String)
        var metadataRefused = 0
        for _ in 0..<10 {
            let metadata = await api.request("GET", "/vault/v1/cards/\(token)", key: granted)
            if metadata.status == 429, metadata.headers["Retry-After"] != nil { metadataRefused += 1 }
        }
        let refilled = Int(((ContinuousClock.now - emptied) / .seconds(1) * 5).rounded(.up))
        #expect(metadataRefused >= 10 - 1 - refilled, "\(metadataRefused) refused, \(refilled) refilled")

        #expect(try await api.test.vault.cardCount() == stored.count, "nothing is stored for a refused request")
        #expect(try await Self.tokenizeEntries(api) == stored.count, "and nothing is audited")
        #expect(try await Self.refusalsCounted(api, "duplicates") == refused.count + metadataRefused)
        #expect(try await Self.refusalsCounted(api, "tokenize") == 0)
    }

    @Test("A tokenize limit set on a key: refused past its burst with Retry-After, in each dialect's envelope")
    func tokenizeLimit() async throws {
        let api = try await APIHarness.makeForClientSync()
        let limited = try await api.makeKey([.tokenize, .sync], limits: #"{"tokenize":{"perSecond":0.1,"burst":20}}"#)
        let (answers, _) = await Self.burst(60) { index in
            await api.request("POST", "/vault/v1/cards", body: Self.tokenizeBody(index), key: limited)
        }
        let stored = answers.filter { $0.status == 201 }.count
        let refused = answers.filter { $0.status == 429 }
        #expect((20...21).contains(stored) && stored + refused.count == 60)
        // An empty bucket refilling at 0.1 a second: the next token is up to 10 s away.
        #expect(refused.allSatisfy { (1...10).contains(Int($0.headers["Retry-After"] ?? "") ?? 0) })
        #expect(refused.allSatisfy { ($0.json?["error"] as? [String: String])?["code"] == "rate_limited" })

        let account = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts", body: tabaPayAccountBody(),
                                        key: limited)
        #expect(account.status == 429 && account.sc == 429 && account.ec == "42900003" && account.em == "Rate Limited",
                "\(account.body)")
        #expect(account.headers["Retry-After"] != nil)
        let token = await api.request("POST", "/vault/v1/card-tokens", body: Self.tokenizeBody(999), key: limited)
        #expect(token.status == 429)
        let synced = await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: limited)
        #expect(synced.status == 429 && (synced.json?["error"] as? [String: String])?["code"] == "rate_limited")
        #expect(synced.headers["Retry-After"] != nil)

        #expect(try await api.test.vault.cardCount() == stored)
        #expect(try await Self.refusalsCounted(api, "tokenize") == refused.count + 3)
        // Reading is not tokenizing: the same key still reads metadata.
        let first = try #require(answers.first { $0.status == 201 }?.json?["token"] as? String)
        #expect(await api.request("GET", "/vault/v1/cards/\(first)", key: limited).status == 200)
    }

    @Test("A reveal limit set on a key: each reveal within it is audited, the rest are refused and not")
    func revealLimit() async throws {
        let api = try await APIHarness.make()
        let token = try #require(await api.request("POST", "/vault/v1/cards", body: Self.tokenizeBody(1), key: api.key)
            .json?["token"] as? String)
        let revealer = try await api.makeKey([.reveal], limits: #"{"reveal":{"perSecond":0.5,"burst":5}}"#)
        let (answers, _) = await Self.burst(40) { _ in
            await api.request("POST", "/vault/v1/cards/\(token)/reveal", key: revealer)
        }
        let revealed = answers.filter { $0.status == 200 }
        let refused = answers.filter { $0.status == 429 }
        #expect((5...6).contains(revealed.count) && revealed.count + refused.count == 40)
        #expect(refused.allSatisfy { (1...2).contains(Int($0.headers["Retry-After"] ?? "") ?? 0) })
        let reveals = try await api.test.vault.auditEntries(after: 0, limit: 1_000).filter { $0.event.action == .cardReveal }
        #expect(reveals.count == revealed.count)
        #expect(try await Self.refusalsCounted(api, "reveal") == refused.count)
        // Another key of the tenant is not held back by this one's bucket.
        #expect(await api.request("POST", "/vault/v1/cards/\(token)/reveal", key: api.key).status == 200)
    }

    @Test("Default limits never throttle distinct-card tokenizes by an admin key or a tokenize-only key")
    func defaultsLeaveTokenizeAlone() async throws {
        let api = try await APIHarness.make()
        let created = await api.request("POST", "/vault/v1/apikeys", body: #"{"roles":["tokenize"]}"#, key: api.key)
        let tokenizer = try #require(created.json?["apiKey"] as? String, "\(created.body)")
        let limits = try #require(created.json?["limits"] as? [String: Any], "\(created.body)")
        #expect(limits["tokenize"] is NSNull && limits["reveal"] is NSNull)
        #expect(limits["duplicates"] as? [String: Double] == ["perSecond": 5, "burst": 100])

        for (offset, key) in [(0, api.key), (2_000, tokenizer)] {
            let (answers, _) = await Self.burst(2_000) { index in
                await api.request("POST", "/vault/v1/cards", body: Self.tokenizeBody(offset + index), key: key)
            }
            #expect(answers.allSatisfy { $0.status == 201 }, "\(answers.first { $0.status != 201 }?.body ?? "")")
        }
        #expect(try await api.test.vault.cardCount() == 4_000)
        #expect(try await Self.refusalsCounted(api, "tokenize") == 0)
        #expect(try await Self.refusalsCounted(api, "duplicates") == 0)
    }

    @Test("Limits on key creation: explicit rates, null for unlimited, defaults for the rest; bad ones are a 400")
    func limitsOnKeyCreation() async throws {
        let api = try await APIHarness.make()
        func create(_ body: String) async -> APIHarness.Response {
            await api.request("POST", "/vault/v1/apikeys", body: body, key: api.key)
        }
        let partial = await create(#"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":50,"burst":100},"duplicates":null}}"#)
        #expect(partial.status == 201, "\(partial.body)")
        let limits = try #require(partial.json?["limits"] as? [String: Any])
        #expect(limits["tokenize"] as? [String: Double] == ["perSecond": 50, "burst": 100])
        #expect(limits["reveal"] is NSNull && limits["duplicates"] is NSNull)
        let unlimited = await create(#"{"roles":["tokenize","fingerprint"],"limits":null}"#)
        #expect((unlimited.json?["limits"] as? [String: Any])?.values.allSatisfy { $0 is NSNull } == true, "\(unlimited.body)")
        // Stored with the key: authentication gives them back.
        let principal = try await api.test.vault.authenticate(apiKey: try #require(partial.json?["apiKey"] as? String), actor: "test")
        #expect(principal.limits == RateLimits([.tokenize: TokenBucket.Rate(perSecond: 50, burst: 100)!]))

        for bad in [
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":0,"burst":1}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":1,"burst":0.5}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":1}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":{"perSecond":1,"burst":1,"window":2}}}"#,
            #"{"roles":["tokenize"],"limits":{"verify":{"perSecond":1,"burst":1}}}"#,
            #"{"roles":["tokenize"],"limits":{"tokenize":"fast"}}"#,
            #"{"roles":["tokenize"],"limits":5}"#,
        ] {
            let refused = await create(bad)
            #expect(refused.status == 400, "\(bad): \(refused.body)")
        }
        let keys = try await api.test.storage.read { [tenant = api.client] reader in try reader.apiKeys(tenant: tenant) }
        #expect(keys.count == 3, "the admin's and the two made here")
    }
}
