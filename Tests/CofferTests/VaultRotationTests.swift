import CardVerifiers
import Foundation
import Synchronization
import TestSupport
import Testing
@testable import VaultCore
import VaultCrypto
import VaultStore

@Suite("Data-key rotation re-encrypts every kind of sealed record", .ownThreads)
struct VaultRotationTests {
    @Test("Every sealed record moves to the new version and still opens to what was stored; tombstones stay empty")
    func everyKindIsReencrypted() async throws {
        let test = try await TestVault.make()
        let fixture = try await SealedRecordsFixture.make(test)
        #expect(try await SealedRecordsFixture.storedKeyVersions(test.databasePath) == SealedRecordsFixture.allUnder(1))
        #expect(try await test.vault.dataKeyStatus().map(\.records) == [SealedRecordsFixture.counts])

        let report = try await test.vault.rotateDataKey(actor: "test", batchSize: 2)
        #expect(report == RotationReport(activeVersion: 2, resumed: false, reencrypted: SealedRecordsFixture.counts))
        #expect(try await SealedRecordsFixture.storedKeyVersions(test.databasePath) == SealedRecordsFixture.allUnder(2))
        let status = try await test.vault.dataKeyStatus()
        #expect(status.map(\.version) == [1, 2])
        #expect(status.map(\.isActive) == [false, true])
        #expect(status.map(\.records) == [[:], SealedRecordsFixture.counts], "version 1 holds nothing any more")

        let stored = try await test.storage.read { [tenant = test.tenant] in try $0.account(fixture.deletedAccount, tenant: tenant) }
        let tombstone = try #require(stored)
        #expect(tombstone.sealedHolder.isEmpty && tombstone.keyVersion == 1, "a tombstone is left as it is")
        try await fixture.expectEverythingOpens(test.vault)
        await test.storage.close()
    }

    @Test("A rotation stopped midway is finished by the next run, which adds no version")
    func interruptedRotationIsFinished() async throws {
        let test = try await TestVault.make()
        let fixture = try await SealedRecordsFixture.make(test)
        // Opening an existing vault writes nothing; adding version 2 writes once, then six
        // one-record batches: five cards and a single-use token. The seventh batch never commits,
        // as if the process were killed.
        let crashing = CrashingStorage(test.storage, writesBeforeCrash: 7)
        let interrupted = try await Vault.open(storage: crashing, masterKey: test.masterKey, clock: { TestClock.start })
        await #expect(throws: CrashingStorage.Crash.self) {
            try await interrupted.rotateDataKey(actor: "test", batchSize: 1)
        }
        let midway = try await test.vault.dataKeyStatus()
        #expect(midway.map(\.version) == [1, 2])
        #expect(midway[1].records == [.cards: 5, .cardTokens: 1])
        #expect(midway[0].records[.cards] == nil && midway[0].records[.accounts] == 3)

        let finished = try await test.vault.rotateDataKey(actor: "test", batchSize: 1)
        var rest = SealedRecordsFixture.counts
        rest[.cards] = nil
        rest[.cardTokens] = nil
        #expect(finished == RotationReport(activeVersion: 2, resumed: true, reencrypted: rest))
        #expect(try await SealedRecordsFixture.storedKeyVersions(test.databasePath) == SealedRecordsFixture.allUnder(2))
        try await fixture.expectEverythingOpens(test.vault)
        await test.storage.close()
    }

    @Test("Records a running server seals under the old version after a rotation are moved by the next run")
    func recordsALiveServerLeftBehind() async throws {
        let test = try await TestVault.make()
        let server = test.vault
        let before = try await PlatformService(server).createPlatformClient(profile: Array("before".utf8), tenant: test.tenant)
        let operator_ = try await Vault.open(storage: test.storage, masterKey: test.masterKey, clock: { TestClock.start })
        #expect(try await operator_.rotateDataKey(actor: "cli").reencrypted == [.platformClients: 1])

        // The server has not reloaded its data keys yet: its new client is sealed under version 1.
        let after = try await PlatformService(server).createPlatformClient(profile: Array("after".utf8), tenant: test.tenant)
        #expect(try await operator_.dataKeyStatus().map(\.records) == [[.platformClients: 1], [.platformClients: 1]])

        let second = try await operator_.rotateDataKey(actor: "cli")
        #expect(second == RotationReport(activeVersion: 2, resumed: true, reencrypted: [.platformClients: 1]))
        #expect(try await operator_.dataKeyStatus().map(\.records) == [[:], [.platformClients: 2]])
        for (client, profile) in [(before.id, "before"), (after.id, "after")] {
            #expect(try await SealedRecordsFixture.profile(of: client, tenant: test.tenant, in: server) == SecretBytes(profile.utf8))
        }
        await test.storage.close()
    }

    @Test("A tampered ciphertext fails the rotation with integrity_failure, and its batch is left untouched")
    func tamperedRecordStopsItsBatch() async throws {
        let test = try await TestVault.make()
        let card = try await test.vault.tokenize(TestPAN.card(1), tenant: test.tenant, caller: test.admin, actor: "test").metadata.token
        var clients: [PlatformClientID] = []
        for index in 0..<3 {
            clients.append(try await PlatformService(test.vault).createPlatformClient(profile: Array("client \(index)".utf8), tenant: test.tenant).id)
        }
        await test.storage.close()
        let tamper = try await ProcessRunner.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            (profile,) = db.execute("SELECT sealed_profile FROM platform_clients WHERE id = ?", (sys.argv[2],)).fetchone()
            db.execute("UPDATE platform_clients SET sealed_profile = ? WHERE id = ?",
                       (profile[:-1] + bytes([profile[-1] ^ 1]), sys.argv[2]))
            db.commit()
            """, [test.databasePath, clients[1].rawValue])
        #expect(tamper.status == 0, "\(tamper.standardError)")
        let reopened = try await test.reopened()

        let error = await #expect(throws: VaultError.self) { try await reopened.vault.rotateDataKey(actor: "test") }
        #expect(error?.code == "integrity_failure")
        let status = try await reopened.vault.dataKeyStatus()
        #expect(status.map(\.records) == [[.platformClients: 3], [.cards: 1]], "cards came first and moved; no client did")
        #expect(try await reopened.vault.reveal(card, tenant: reopened.tenant, caller: reopened.admin, actor: "test").number.digits == TestPAN.make(1))
        for index in [0, 2] {
            #expect(try await SealedRecordsFixture.profile(of: clients[index], tenant: reopened.tenant, in: reopened.vault)
                    == SecretBytes("client \(index)".utf8))
        }
        await reopened.storage.close()
    }
}

/// One or more records of every sealed kind, made through the vault's public API (the calls the
/// HTTP routes make), with what each must open to.
struct SealedRecordsFixture {
    let tenant: TenantID
    let card: Token
    let cardToken: Token
    let cardAccount: Token
    let bankAccount: Token
    let deletedAccount: Token
    let idempotency: IdempotencyRequest
    let idempotentCard: Token
    let syncClient: SyncClientID
    let platformClient: PlatformClientID
    let outboxMessage: OutboxMessageID
    let profileCustomer: ProfileCustomerID
    let profileCard: ProfileCardID
    let signing: IssuedSigningCredential
    let patron: PatronRowID

    /// The live sealed records `make` leaves: its cards include the card account's and the card
    /// payment method's; its accounts include the bank payment method's.
    static let counts: [SealedRecordKind: Int] = [
        .cards: 5, .cardTokens: 1, .accounts: 3, .idempotencyRecords: 1, .syncClients: 1, .paymentMethods: 2,
        .paymentSettings: 1, .platformClients: 1, .gatewayCards: 1, .outboxMessages: 2, .profileCustomers: 1, .profileCards: 1,
        .signingCredentials: 1, .patrons: 1, .patronContacts: 2, .patronCards: 1,
    ]

    static func make(_ test: TestVault) async throws -> SealedRecordsFixture {
        let vault = test.vault, tenant = test.tenant, admin = test.admin
        let card = try await vault.tokenize(TestPAN.card(1), tenant: tenant, caller: admin, actor: "test").metadata.token
        let cardToken = try await vault.createCardToken(TestPAN.card(2), tenant: tenant, caller: admin, actor: "test").token
        let cardAccount = try await vault.createAccount(
            NewAccount(referenceID: "card", instrument: .card(TestPAN.card(3)), holder: Array("card holder".utf8),
                       duplicateCheck: .none), tenant: tenant, caller: admin, actor: "test").id
        let bankAccount = try await vault.createAccount(
            NewAccount(referenceID: "bank", instrument: .bank(try bank("021000021", "123456789")),
                       holder: Array("bank holder".utf8), duplicateCheck: .none), tenant: tenant, caller: admin, actor: "test").id
        let deletedAccount = try await vault.createAccount(
            NewAccount(referenceID: nil, instrument: .card(TestPAN.card(6)), holder: Array("gone".utf8), duplicateCheck: .none),
            tenant: tenant, caller: admin, actor: "test").id
        try await vault.deleteAccount(deletedAccount, tenant: tenant, actor: "test")

        let idempotency = try await vault.idempotencyRequest(
            key: "order-1", principal: Principal(tenantID: tenant, credential: .apiKey(.generate()), roles: [.tokenize], limits: .unlimited),
            method: "POST", route: "/vault/v1/cards", path: "/vault/v1/cards", body: Array("a".utf8))
        let idempotentCard = try await vault.tokenize(TestPAN.card(4), tenant: tenant, caller: admin, actor: "test", idempotency: .init(idempotency) {
            StoredResponse(status: 201, body: Array($0.metadata.token.rawValue.utf8))
        }).metadata.token

        let synced = try await ClientSyncService(vault).syncClient(
            SyncClientInput(identifier: "client-1", meta: Array("client meta".utf8)),
            paymentMethods: [
                PaymentMethodInput(identifier: "card", instrument: .card(TestPAN.card(5)), brandHint: nil,
                                   details: Array("card details".utf8), setAsDefault: false),
                PaymentMethodInput(identifier: "bank", instrument: .bank(try bank("011000015", "987654321")), brandHint: nil,
                                   details: Array("bank details".utf8), setAsDefault: false),
            ], tenant: tenant, caller: admin, actor: "test")

        _ = try await PlatformService(vault).updatePaymentSettings(
            PaymentSettingsUpdate(stripeUserID: "acct_1", stripeAccessToken: SecretBytes("sk_test_rotation".utf8),
                                  gateway: .stripe, paymentsEnabled: true, allowCreditCard: true),
            tenant: tenant, actor: "test")
        // Another tenant's settings without an access token: nothing sealed, nothing to move.
        let other = try await vault.createTenant(name: "other", actor: "test").id
        _ = try await PlatformService(vault).updatePaymentSettings(PaymentSettingsUpdate(paymentsEnabled: true), tenant: other, actor: "test")

        let platformClient = try await PlatformService(vault).createPlatformClient(profile: Array("client profile".utf8), tenant: tenant).id
        let staffKey = try await vault.createAPIKey(tenant: tenant, roles: [.staff], label: "Staff", actor: "test")
        _ = try await PlatformService(vault).syncGatewayCard(
            NewGatewayCard(clientID: platformClient, customerID: "cus_1", externalCardID: "card_1", makeDefault: true,
                           details: try GatewayCardDetails(expMonth: 3, expYear: 2030, last4: "4242",
                                                           cardholderName: "Ada Lovelace", brand: "visa"),
                           vaultToken: nil),
            tenant: tenant, staff: try await vault.authenticate(apiKey: staffKey.secret, actor: "test"), actor: "test")

        // One message waiting, and one delivered: its payload wiped, nothing sealed, nothing to move.
        let outbox = OutboxService(vault)
        _ = try await outbox.enqueue(topic: "delivered", payload: Array("sent".utf8), tenant: tenant)
        try await outbox.deliverDue(via: OutboxTests.ScriptedReceiver([.delivered]))
        let outboxMessage = try await outbox.enqueue(topic: "waiting", payload: Array("outbox payload".utf8), tenant: tenant)

        // A customer and a linked card whose synced profile queues the second waiting message.
        let profiles = CardProfileService(vault)
        let profileCustomer = try await profiles.createCustomer(.individual, reference: "customer reference",
                                                                document: Array("customer document".utf8), tenant: tenant, actor: "test").id
        let profileCard = try await profiles.linkCard(.token(card), to: profileCustomer, reference: "card reference",
                                                      tenant: tenant, actor: "test").id
        _ = try await profiles.syncProfile(card: profileCard, customer: profileCustomer, tenant: tenant, actor: "test",
                                           derive: { _ in Array("cardholder profile".utf8) }, payload: { _ in Array("profile".utf8) })
        // A live signing credential, and a revoked one: its secret wiped, nothing to move.
        let patrons = PatronService(vault, verifier: SandboxCardVerifier())
        let signing = try await patrons.createSigningCredential(tenant: tenant, label: "live", actor: "test")
        let revoked = try await patrons.createSigningCredential(tenant: tenant, label: "revoked", actor: "test")
        try await patrons.revokeSigningCredential(revoked.record.id, tenant: tenant, actor: "test")
        let patron = try await patrons.createPatrons(profiles: [Array("patron profile".utf8)], tenant: tenant)[0].id
        let address = try await patrons.createContacts(.address, details: [Array("patron address".utf8)], patron: patron, tenant: tenant)
        let phone = try await patrons.createContacts(.phoneNumber, details: [Array("patron phone".utf8)], patron: patron, tenant: tenant)
        let patronCard = CardData(number: try PrimaryAccountNumber("4111111111111111"),
                                  expiration: try ExpirationDate(year: 2030, month: 12), securityCode: nil)
        _ = try await patrons.createCards(
            [NewPatronCard(card: patronCard, cardholderName: "Ada Lovelace", addressID: address[0].id, phoneNumberID: phone[0].id,
                           details: Array("patron card".utf8))],
            patron: patron, tenant: tenant, caller: admin, actor: "test", billingAddress: { _ in nil })

        return SealedRecordsFixture(tenant: tenant, card: card, cardToken: cardToken, cardAccount: cardAccount,
                                    bankAccount: bankAccount, deletedAccount: deletedAccount, idempotency: idempotency,
                                    idempotentCard: idempotentCard, syncClient: synced.clientID, platformClient: platformClient,
                                    outboxMessage: outboxMessage, profileCustomer: profileCustomer, profileCard: profileCard,
                                    signing: signing, patron: patron)
    }

    static func bank(_ routing: String, _ number: String) throws -> BankAccount {
        BankAccount(routingNumber: try RoutingNumber(routing), accountNumber: try BankAccountNumber(number),
                    accountType: .checking)
    }

    /// Opens every record through the paths callers use; kinds no route reads back (a client's
    /// meta or profile, a bank account number, the Stripe token) through the vault's own `openSealed`.
    func expectEverythingOpens(_ vault: Vault) async throws {
        let admin = Principal.admin(of: tenant)
        #expect(try await vault.reveal(card, tenant: tenant, caller: admin, actor: "test").number.digits == TestPAN.make(1))
        #expect(try await vault.reveal(idempotentCard, tenant: tenant, caller: admin, actor: "test").number.digits == TestPAN.make(4))
        let fromToken = try await vault.tokenize(.singleUseToken(cardToken), tenant: tenant, caller: admin, actor: "test").metadata.token
        #expect(try await vault.reveal(fromToken, tenant: tenant, caller: admin, actor: "test").number.digits == TestPAN.make(2))

        #expect(try await vault.account(cardAccount, tenant: tenant).holder == Array("card holder".utf8))
        #expect(try await vault.reveal(cardAccount, tenant: tenant, caller: admin, actor: "test").number.digits == TestPAN.make(3))
        #expect(try await vault.account(bankAccount, tenant: tenant).holder == Array("bank holder".utf8))
        #expect(try await bankNumber(of: bankAccount, in: vault) == SecretBytes("123456789".utf8))
        await #expect(throws: VaultError.accountDeleted) { try await vault.account(deletedAccount, tenant: tenant) }

        let replay = StoredResponse(status: 201, body: Array(idempotentCard.rawValue.utf8))
        #expect(try await vault.idempotentResponse(for: idempotency) == .replay(replay))

        let methods = try await ClientSyncService(vault).paymentMethods(of: syncClient, tenant: tenant)
        #expect(methods.map(\.details) == [Array("card details".utf8), Array("bank details".utf8)])
        let methodCard = try #require(methods[0].card?.token)
        #expect(try await vault.reveal(methodCard, tenant: tenant, caller: admin, actor: "test").number.digits == TestPAN.make(5))
        #expect(methods[1].bank?.last4 == "4321")
        let (storedMethods, storedClient, storedSettings) = try await vault.storage.read { [syncClient, tenant] reader in
            (try reader.paymentMethods(of: syncClient), try reader.syncClient(syncClient, tenant: tenant),
             try reader.paymentSettings(tenant: tenant))
        }
        #expect(try await bankNumber(of: try #require(storedMethods.last?.token), in: vault) == SecretBytes("987654321".utf8))
        let client = try #require(storedClient)
        #expect(try await vault.openSealed(.syncClientMeta, client.sealedMeta, version: client.keyVersion, tenant: tenant,
                                           subject: client.id.rawValue) == SecretBytes("client meta".utf8))

        #expect(try await PlatformService(vault).paymentSettings(tenant: tenant).stripeConnected)
        let settings = try #require(storedSettings)
        #expect(try await vault.openSealed(.stripeAccessToken, try #require(settings.sealedStripeAccessToken),
                                           version: try #require(settings.keyVersion), tenant: tenant,
                                           subject: tenant.rawValue) == SecretBytes("sk_test_rotation".utf8))
        #expect(try await Self.profile(of: platformClient, tenant: tenant, in: vault) == SecretBytes("client profile".utf8))
        #expect(try await PlatformService(vault).gatewayCards(client: platformClient, tenant: tenant).map(\.cardholderName) == ["Ada Lovelace"])
        let stored = try await vault.storage.read { [outboxMessage] in try $0.outboxMessage(outboxMessage) }
        let message = try #require(stored)
        let sealed = try #require(message.sealedPayload), version = try #require(message.keyVersion)
        #expect(try await vault.openSealed(.outboxPayload, sealed, version: version, tenant: tenant,
                                           subject: outboxMessage.rawValue) == SecretBytes("outbox payload".utf8))
        let profiles = CardProfileService(vault)
        #expect(try await profiles.customer(profileCustomer, tenant: tenant).document == Array("customer document".utf8))
        let profileCard = try await profiles.card(profileCard, tenant: tenant)
        #expect(profileCard.reference == "card reference" && profileCard.profile == Array("cardholder profile".utf8))

        let patrons = PatronService(vault, verifier: SandboxCardVerifier())
        let signedBy = try await patrons.authenticate(token: signing.token, actor: "test") { $0 == SecretBytes(signing.secret.utf8) }
        #expect(signedBy.tenantID == tenant)
        #expect(try await patrons.patron(patron, tenant: tenant).profile == Array("patron profile".utf8))
        let patronCard = try #require(try await patrons.cards(patron: patron, tenant: tenant).first)
        #expect(patronCard.details == Array("patron card".utf8) && patronCard.address.details == Array("patron address".utf8)
                && patronCard.phoneNumber.details == Array("patron phone".utf8))
        #expect(try await vault.reveal(patronCard.card.token, tenant: tenant, caller: admin, actor: "test").number.digits
                == "4111111111111111")
    }

    private func bankNumber(of token: Token, in vault: Vault) async throws -> SecretBytes {
        let stored = try await vault.storage.read { [tenant] in try $0.account(token, tenant: tenant) }
        let account = try #require(stored)
        return try await vault.openSealed(.bankAccountNumber, try #require(account.bank?.sealedNumber),
                                          version: account.keyVersion, tenant: tenant, subject: token.rawValue)
    }

    static func profile(of id: PlatformClientID, tenant: TenantID, in vault: Vault) async throws -> SecretBytes {
        let stored = try await vault.storage.read { try $0.platformClient(id, tenant: tenant) }
        let client = try #require(stored)
        return try await vault.openSealed(.platformClientProfile, client.sealedProfile, version: client.keyVersion,
                                          tenant: tenant, subject: id.rawValue)
    }

    /// Every table with a `key_version` column, each with `version` as the only version of its
    /// live sealed rows.
    static func allUnder(_ version: Int) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: [
            "cards", "card_tokens", "accounts", "idempotency_records", "sync_clients", "payment_methods", "payment_settings",
            "platform_clients", "gateway_cards", "outbox", "profile_customers", "profile_cards",
            "signing_credentials", "patrons", "patron_contacts", "patron_cards",
        ].map { ($0, [version]) })
    }

    /// The distinct key versions of the live sealed rows of every table that has a `key_version`
    /// column, read with Python's sqlite3 rather than the code under test — so a table added later
    /// without rotation support shows up here.
    static func storedKeyVersions(_ path: String) async throws -> [String: [Int]] {
        let result = try await ProcessRunner.python("""
            import json, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            tables = [name for (name,) in db.execute(
                "SELECT m.name FROM sqlite_schema m JOIN pragma_table_info(m.name) c "
                "WHERE m.type = 'table' AND c.name = 'key_version'")]
            live = {"accounts": "deleted_at IS NULL", "payment_settings": "key_version IS NOT NULL",
                    "idempotency_records": "key_version IS NOT NULL", "outbox": "key_version IS NOT NULL",
                    "signing_credentials": "key_version IS NOT NULL"}
            print(json.dumps({table: sorted({version for (version,) in db.execute(
                f"SELECT key_version FROM {table} WHERE {live.get(table, '1')}")}) for table in tables}))
            """, [path])
        #expect(result.status == 0, "\(result.standardError)")
        return try JSONDecoder().decode([String: [Int]].self, from: Data(result.standardOutput.utf8))
    }
}

/// The store underneath, until the `writesBeforeCrash`-th write: from then on every write fails
/// and nothing more is stored, as when the process is killed.
final class CrashingStorage: VaultStorage {
    struct Crash: Error {}

    private let base: any VaultStorage
    private let remaining: Mutex<Int>

    init(_ base: any VaultStorage, writesBeforeCrash: Int) {
        self.base = base
        remaining = Mutex(writesBeforeCrash)
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await base.read(body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        let allowed = remaining.withLock { remaining in
            remaining -= 1
            return remaining >= 0
        }
        guard allowed else { throw Crash() }
        return try await base.write(body)
    }

    func close() async {}
}
