import Foundation
import Testing
import TestSupport
import VaultCore

/// Storing card data writes cardholder data, so every path that does it appends a `card.tokenize`
/// entry in the transaction that stores the card: the entry exists exactly when the card does.
@Suite("Every tokenization is audited in its own transaction", .ownThreads)
struct TokenizeAuditTests {
    /// The entries appended after `sequence`.
    static func entries(_ api: APIHarness, after sequence: Int64) async throws -> [AuditEntry] {
        try await api.test.vault.auditEntries(after: sequence, limit: 10_000)
    }

    static func head(_ api: APIHarness) async throws -> Int64 {
        try await entries(api, after: 0).last?.sequence ?? 0
    }

    /// Runs `request` with `X-Request-Id: requestID`; the entries it appended.
    static func appended(_ api: APIHarness, _ requestID: String,
                         _ request: ([String: String]) async -> APIHarness.Response) async throws
        -> (APIHarness.Response, [AuditEntry]) {
        let before = try await head(api)
        let response = await request(["X-Request-Id": requestID])
        return (response, try await entries(api, after: before))
    }

    /// One `card.tokenize` entry naming `token` (if given), the caller, its address and the request.
    static func expectTokenize(_ entries: [AuditEntry], token: String?, actor: String, requestID: String,
                               tenant: TenantID, sourceLocation: SourceLocation = #_sourceLocation) {
        let tokenizations = entries.filter { $0.event.action == .cardTokenize }
        #expect(tokenizations.count == 1, "\(entries.map(\.event.action))", sourceLocation: sourceLocation)
        guard let entry = tokenizations.first else { return }
        if let token { #expect(entry.event.subject == token, sourceLocation: sourceLocation) }
        #expect(entry.event.actor == AuditActor(name: actor, source: "127.0.0.1", requestID: requestID),
                sourceLocation: sourceLocation)
        #expect(entry.event.tenantID == tenant && entry.event.outcome == .success, sourceLocation: sourceLocation)
    }

    @Test("Native tokenize, single-use card tokens and a card made from one each append card.tokenize")
    func nativePaths() async throws {
        let api = try await APIHarness.make()
        let actor = try await api.test.vault.authenticate(apiKey: api.key, actor: "test").actorName
        let card = #"{"number":"4111111111111111","expirationDate":"203012"}"#

        let (tokenized, first) = try await Self.appended(api, "native-1") {
            await api.request("POST", "/vault/v1/cards", body: card, key: api.key, headers: $0)
        }
        Self.expectTokenize(first, token: tokenized.json?["token"] as? String, actor: actor, requestID: "native-1",
                            tenant: api.client)
        let (issued, second) = try await Self.appended(api, "card-token-1") {
            await api.request("POST", "/vault/v1/card-tokens", body: card, key: api.key, headers: $0)
        }
        let cardToken = try #require(issued.json?["cardToken"] as? String)
        Self.expectTokenize(second, token: cardToken, actor: actor, requestID: "card-token-1", tenant: api.client)
        let (exchanged, third) = try await Self.appended(api, "exchange-1") {
            await api.request("POST", "/vault/v1/cards", body: #"{"cardToken":"\#(cardToken)"}"#, key: api.key, headers: $0)
        }
        Self.expectTokenize(third, token: exchanged.json?["token"] as? String, actor: actor, requestID: "exchange-1",
                            tenant: api.client)

        // Refused: nothing stored, nothing audited.
        let (spent, none) = try await Self.appended(api, "exchange-2") {
            await api.request("POST", "/vault/v1/cards", body: #"{"cardToken":"\#(cardToken)"}"#, key: api.key, headers: $0)
        }
        let (expired, noneEither) = try await Self.appended(api, "expired") {
            await api.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111","expirationDate":"202001"}"#,
                              key: api.key, headers: $0)
        }
        #expect(spent.status == 400 && expired.status == 400 && none.isEmpty && noneEither.isEmpty)
        #expect(try await api.test.vault.verifyAuditLog() == .intact(entries: try await Self.head(api), checkpoints: 0))
    }

    @Test("TabaPay: a card account's create and v1 update append card.tokenize; a bank account and a refused duplicate do not")
    func tabaPayPaths() async throws {
        let api = try await APIHarness.make()
        let actor = try await api.test.vault.authenticate(apiKey: api.key, actor: "test").actorName
        let accounts = "/v1/clients/\(api.client.rawValue)/accounts"

        let (created, onCreate) = try await Self.appended(api, "create-1") {
            await api.request("POST", accounts + "?RejectDuplicateCard", body: tabaPayAccountBody(), key: api.key, headers: $0)
        }
        let id = try #require(created.json?["accountID"] as? String)
        Self.expectTokenize(onCreate, token: id, actor: actor, requestID: "create-1", tenant: api.client)
        #expect(onCreate.count == 1)

        let replacement = #"{"card":{"accountNumber":"5555555555554444","expirationDate":"203105"},"owner":\#(tabaPaySeedOwner)}"#
        let (updated, onUpdate) = try await Self.appended(api, "update-1") {
            await api.request("PUT", "\(accounts)/\(id)", body: replacement, key: api.key, headers: $0)
        }
        #expect(updated.status == 200, "\(updated.body)")
        Self.expectTokenize(onUpdate, token: id, actor: actor, requestID: "update-1", tenant: api.client)
        #expect(onUpdate.map(\.event.action) == [.cardTokenize, .accountUpdate])

        let bank = #"{"referenceID":"b","bank":{"routingNumber":"021000021","accountNumber":"123456789","accountType":"C"},"owner":\#(tabaPaySeedOwner)}"#
        let (bankAccount, onBank) = try await Self.appended(api, "bank-1") {
            await api.request("POST", accounts, body: bank, key: api.key, headers: $0)
        }
        #expect(bankAccount.status == 200 && onBank.isEmpty, "\(bankAccount.body)")
        let again = #"{"accountNumber":"5555555555554444","expirationDate":"203105"}"#
        let (refused, onRefusal) = try await Self.appended(api, "create-2") {
            await api.request("POST", accounts + "?RejectDuplicateCard", body: tabaPayAccountBody(card: again), key: api.key,
                              headers: $0)
        }
        #expect(refused.status == 409 && onRefusal.isEmpty, "\(refused.body)")
        #expect(try await api.test.vault.verifyAuditLog() == .intact(entries: try await Self.head(api), checkpoints: 0))
    }

    @Test("Client sync: each stored card appends card.tokenize, by the key or the SSO session; a repeat stores and appends nothing")
    func clientSyncPaths() async throws {
        let api = try await APIHarness.makeForClientSync()
        let actor = try await api.test.vault.authenticate(apiKey: api.key, actor: "test").actorName
        let (synced, onSync) = try await Self.appended(api, "sync-1") {
            await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: api.key, headers: $0)
        }
        #expect(synced.status == 200, "\(synced.body)")
        Self.expectTokenize(onSync, token: nil, actor: actor, requestID: "sync-1", tenant: api.client)
        let subject = try #require(onSync.first?.event.subject.flatMap(Token.init(validating:)))
        let stored = try await api.test.vault.metadata(of: subject, tenant: api.client, caller: .admin(of: api.client))
        #expect(stored.last4 == "1111", "the entry names the stored card")

        let (_, onRepeat) = try await Self.appended(api, "sync-2") {
            await api.request("POST", "/v1/client/sync", body: clientSyncSeedBody, key: api.key, headers: $0)
        }
        #expect(onRepeat.isEmpty, "the repeat stored nothing")

        let session = try await api.accessToken(exchanging: try #require(synced.json?["ssoToken"] as? String))
        let clientID = try #require(synced.json?["clientId"] as? String)
        let method = #"{"clientId":"\#(clientID)","cardNumber":"5555555555554444","expMonth":"12","expYear":"2031"}"#
        let (added, onAdd) = try await Self.appended(api, "add-1") {
            await api.request("POST", "/v1/payment", body: method, key: session, headers: $0)
        }
        #expect(added.status == 200, "\(added.body)")
        Self.expectTokenize(onAdd, token: nil, actor: "client:\(clientID)", requestID: "add-1", tenant: api.client)
        #expect(try await api.test.vault.cardCount() == 2)
    }

    @Test("Concurrent tokenizes with one Idempotency-Key: the losers' entries roll back with their cards")
    func entriesRollBackWithTheirCard() async throws {
        let api = try await APIHarness.make()
        let answers = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await api.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: api.key,
                                      headers: ["Idempotency-Key": "once"]).status
                }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(answers == Array(repeating: 201, count: 8))
        #expect(try await api.test.vault.cardCount() == 1)
        let tokenizations = try await Self.entries(api, after: 0).filter { $0.event.action == .cardTokenize }
        #expect(tokenizations.count == 1)
    }
}
