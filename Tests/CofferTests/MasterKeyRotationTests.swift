import Foundation
import TestSupport
import Testing
@testable import VaultCore
import VaultCrypto
import VaultStore

@Suite("Master-key rotation rewraps every key; once finished, the old key opens nothing", .ownThreads)
struct MasterKeyRotationTests {
    /// A vault under `oldKey` holding every kind of wrapped key: two data-key versions, two
    /// tenants' fingerprint keys, a card-data key, an SSO secret, the audit key and the check value.
    private func vault(_ oldKey: MasterKey) async throws -> (TestVault, SealedRecordsFixture, CardDataPublicKey) {
        let test = try await TestVault.make(masterKey: oldKey)
        let fixture = try await SealedRecordsFixture.make(test)
        let cardKey = try await test.vault.createCardDataKey(tenant: test.tenant, actor: "test")
        _ = try await ClientSyncService(test.vault).ssoSigningKey(tenant: test.tenant, creating: true)
        _ = try await test.vault.rotateDataKey(actor: "test")
        return (test, fixture, cardKey)
    }

    @Test("Every wrapped key moves to the new key; both keys open the vault until --finish, then only the new one")
    func rotateAndFinish() async throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let (test, fixture, cardKey) = try await vault(oldKey)
        let before = try await WrappedKeyCheck.run(test.databasePath, old: oldKey, new: newKey)
        #expect(before.keys == WrappedKeyCheck.allUnder(.old, WrappedKeyCheck.fixtureCounts), "\(before)")

        let report = try await test.vault.rotateMasterKey(to: newKey, actor: "cli", batchSize: 1)
        #expect(report == MasterKeyRotationReport(rewrapped: [.dataKeys: 2, .fingerprintKeys: 2, .cardDataKeys: 1, .ssoSecrets: 1],
                                                  rewrappedAuditKey: true, resumed: false))
        let during = try await WrappedKeyCheck.run(test.databasePath, old: oldKey, new: newKey)
        #expect(during.keys == WrappedKeyCheck.allUnder(.new, WrappedKeyCheck.fixtureCounts), "\(during)")
        #expect(during.successor == .old && during.predecessor == .new, "each key opens the other")
        for key in [oldKey, newKey] {
            let opened = try await Vault.open(storage: test.storage, masterKey: key, clock: { TestClock.start })
            #expect(try await opened.reveal(fixture.card, tenant: test.tenant, caller: .admin(of: test.tenant), actor: "test").number.digits == TestPAN.make(1))
        }
        #expect(try await test.vault.rotateMasterKey(to: newKey, actor: "cli").resumed, "running it again changes nothing")

        await #expect(throws: KeyManagementError.finishNeedsNewMasterKey) {
            try await test.vault.finishMasterKeyRotation(actor: "cli")
        }
        let withNewKey = try await Vault.open(storage: test.storage, masterKey: newKey, clock: { TestClock.start })
        #expect(try await withNewKey.isMasterKeyRotationInProgress())
        #expect(try await withNewKey.finishMasterKeyRotation(actor: "cli")
                == MasterKeyRotationReport(rewrapped: [:], rewrappedAuditKey: false, resumed: false))
        #expect(try await withNewKey.finishMasterKeyRotation(actor: "cli") == nil, "nothing left to finish")
        #expect(try await !withNewKey.isMasterKeyRotationInProgress())

        let after = try await WrappedKeyCheck.run(test.databasePath, old: oldKey, new: newKey)
        #expect(after.keys == WrappedKeyCheck.allUnder(.new, WrappedKeyCheck.fixtureCounts))
        #expect(after.successor == nil && after.predecessor == nil, "nothing links the keys any more")
        await #expect(throws: VaultError.masterKeyMismatch) { try await Vault.open(storage: test.storage, masterKey: oldKey, clock: { TestClock.start }) }

        try await fixture.expectEverythingOpens(withNewKey)
        let encrypted = try EncryptedCardData(keyID: cardKey.id.rawValue, data: try await opensslEncrypt(
            "5555555555554444|203012|", publicKeyDER: cardKey.publicKey.subjectPublicKeyInfoDER, mgf1: "sha256", in: test.directory))
        let token = try await withNewKey.tokenize(.encrypted(encrypted), tenant: test.tenant, caller: .admin(of: test.tenant), actor: "test").metadata.token
        #expect(try await withNewKey.reveal(token, tenant: test.tenant, caller: .admin(of: test.tenant), actor: "test").number.digits == "5555555555554444")
        #expect(try await ClientSyncService(withNewKey).ssoSigningKey(tenant: test.tenant, creating: false)
                == ClientSyncService(test.vault).ssoSigningKey(tenant: test.tenant, creating: false), "the SSO secret is the same key, rewrapped")
        let entries = try await withNewKey.auditEntries(after: 0, limit: 1000)
        #expect(entries.filter { $0.event.action == .masterKeyRotate }.count == 1)
        #expect(entries.filter { $0.event.action == .masterKeyRotationFinish }.count == 1)
        #expect(try await withNewKey.verifyAuditLog() == .intact(entries: Int64(entries.count), checkpoints: 0))
        await test.storage.close()
    }

    @Test("Stopped midway, running it again finishes the rotation without starting another")
    func interruptedRotationIsResumed() async throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let (test, _, _) = try await vault(oldKey)
        // Opening an existing vault writes nothing; beginning writes once, then two one-key
        // batches: the data keys. The third batch never commits, as if the process were killed.
        let crashing = CrashingStorage(test.storage, writesBeforeCrash: 3)
        let interrupted = try await Vault.open(storage: crashing, masterKey: oldKey, clock: { TestClock.start })
        await #expect(throws: CrashingStorage.Crash.self) {
            try await interrupted.rotateMasterKey(to: newKey, actor: "cli", batchSize: 1)
        }
        let midway = try await WrappedKeyCheck.run(test.databasePath, old: oldKey, new: newKey)
        #expect(midway.keys["data keys"] == WrappedKeyCheck.Count(total: 2, old: 0, new: 2))
        #expect(midway.keys["fingerprint keys"] == WrappedKeyCheck.Count(total: 2, old: 2, new: 0))
        #expect(midway.check == .new, "the new key is current from the first transaction on")

        let again = try await Vault.open(storage: test.storage, masterKey: oldKey, clock: { TestClock.start })
        let finished = try await again.rotateMasterKey(to: newKey, actor: "cli", batchSize: 1)
        #expect(finished == MasterKeyRotationReport(rewrapped: [.fingerprintKeys: 2, .cardDataKeys: 1, .ssoSecrets: 1],
                                                    rewrappedAuditKey: true, resumed: true))
        let after = try await WrappedKeyCheck.run(test.databasePath, old: oldKey, new: newKey)
        #expect(after.keys == WrappedKeyCheck.allUnder(.new, WrappedKeyCheck.fixtureCounts), "\(after)")
        let entries = try await again.auditEntries(after: 0, limit: 1000)
        #expect(entries.filter { $0.event.action == .masterKeyRotate }.count == 1, "begun once")
        await test.storage.close()
    }

    @Test("A vault that still holds only the old key keeps working, and every key it makes is wrapped under the new one")
    func liveVaultWithTheOldKey() async throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let (test, fixture, _) = try await vault(oldKey)
        let server = test.vault
        let earlier = try await server.tokenize(TestPAN.card(20), tenant: test.tenant, caller: .admin(of: test.tenant), actor: "test").metadata.token
        let operator_ = try await Vault.open(storage: test.storage, masterKey: oldKey, clock: { TestClock.start })
        _ = try await operator_.rotateMasterKey(to: newKey, actor: "cli")

        // The server has not reloaded anything: the key it wraps a new tenant's fingerprint key
        // with is no longer current, so that write is refused and made again under the new key.
        let tenant = try await server.createTenant(name: "after", actor: "test").id
        let card = try await server.tokenize(TestPAN.card(21), tenant: tenant, caller: .admin(of: tenant), actor: "test").metadata.token
        let cardKey = try await server.createCardDataKey(tenant: tenant, actor: "test")
        let signingKey = try await ClientSyncService(server).ssoSigningKey(tenant: tenant, creating: true)
        _ = try await server.rotateDataKey(actor: "test")
        var counts = WrappedKeyCheck.fixtureCounts
        counts["data keys"]! += 1
        counts["fingerprint keys"]! += 1
        counts["card-data keys"]! += 1
        counts["SSO secrets"]! += 1
        let made = try await WrappedKeyCheck.run(test.databasePath, old: oldKey, new: newKey)
        #expect(made.keys == WrappedKeyCheck.allUnder(.new, counts), "\(made)")

        let finisher = try await Vault.open(storage: test.storage, masterKey: newKey, clock: { TestClock.start })
        _ = try await finisher.finishMasterKeyRotation(actor: "cli")
        // Until it is restarted, the server keeps the new key it learnt.
        #expect(try await server.reveal(earlier, tenant: test.tenant, caller: .admin(of: test.tenant), actor: "test").number.digits == TestPAN.make(20))
        #expect(try await server.reveal(card, tenant: tenant, caller: .admin(of: tenant), actor: "test").number.digits == TestPAN.make(21))
        #expect(try await ClientSyncService(server).ssoSigningKey(tenant: tenant, creating: false) == signingKey)
        let encrypted = try EncryptedCardData(keyID: cardKey.id.rawValue, data: try await opensslEncrypt(
            "4111111111111111|203012|", publicKeyDER: cardKey.publicKey.subjectPublicKeyInfoDER, mgf1: "sha256", in: test.directory))
        _ = try await finisher.tokenize(.encrypted(encrypted), tenant: tenant, caller: .admin(of: tenant), actor: "test")
        _ = try await server.createTenant(name: "later", actor: "test")
        try await fixture.expectEverythingOpens(finisher)
        await #expect(throws: VaultError.masterKeyMismatch) { try await Vault.open(storage: test.storage, masterKey: oldKey, clock: { TestClock.start }) }
        #expect(try await WrappedKeyCheck.run(test.databasePath, old: oldKey, new: newKey).keys["fingerprint keys"]?.old == 0)
        await test.storage.close()
    }

    @Test("A second rotation to another key waits for the first to finish; a tampered wrapped key stops a rotation; rotating to the same key is refused")
    func refusals() async throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let (test, _, _) = try await vault(oldKey)
        await #expect(throws: KeyManagementError.sameMasterKey) { try await test.vault.rotateMasterKey(to: oldKey, actor: "cli") }
        _ = try await test.vault.rotateMasterKey(to: newKey, actor: "cli")
        for key in [oldKey, newKey] {
            let opened = try await Vault.open(storage: test.storage, masterKey: key, clock: { TestClock.start })
            await #expect(throws: KeyManagementError.masterKeyRotationInProgress) {
                try await opened.rotateMasterKey(to: .generate(), actor: "cli")
            }
        }
        await test.storage.close()

        let tampered = try await TestVault.make(masterKey: oldKey)
        await tampered.storage.close()
        let edit = try await ProcessRunner.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            (wrapped,) = db.execute("SELECT wrapped_fingerprint_key FROM tenants").fetchone()
            db.execute("UPDATE tenants SET wrapped_fingerprint_key = ?", (wrapped[:-1] + bytes([wrapped[-1] ^ 1]),))
            db.commit()
            """, [tampered.databasePath])
        #expect(edit.status == 0, "\(edit.standardError)")
        let reopened = try await tampered.reopened()
        await #expect(throws: VaultError.integrityFailure) { try await reopened.vault.rotateMasterKey(to: newKey, actor: "cli") }
        await reopened.storage.close()
    }
}

/// Which master key opens each wrapped key in a database, checked with Python's `cryptography`
/// (AES-256-GCM, the AAD spelled out here), not with the code under test.
struct WrappedKeyCheck: CustomStringConvertible {
    enum Opener: String, Decodable { case old, new }
    struct Count: Equatable, Decodable, CustomStringConvertible {
        var total: Int, old: Int, new: Int
        var description: String { "\(total) (old \(old), new \(new))" }
    }
    /// Per kind (labels as `WrappedKeyKind`, plus "audit key"): how many, and how many each key opens.
    var keys: [String: Count]
    var check: Opener?
    var successor: Opener?
    var predecessor: Opener?
    var description: String { "\(keys), check \(String(describing: check))" }

    /// What `MasterKeyRotationTests.vault` holds.
    static let fixtureCounts = ["data keys": 2, "fingerprint keys": 2, "card-data keys": 1, "SSO secrets": 1, "audit key": 1]

    static func allUnder(_ opener: Opener, _ counts: [String: Int]) -> [String: Count] {
        counts.mapValues { Count(total: $0, old: opener == .old ? $0 : 0, new: opener == .new ? $0 : 0) }
    }

    static func run(_ path: String, old: MasterKey, new: MasterKey) async throws -> WrappedKeyCheck {
        let result = try await ProcessRunner.python("""
            import base64, json, sqlite3, sys
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            db = sqlite3.connect(sys.argv[1])
            keys = {name: AESGCM(base64.urlsafe_b64decode(text + "=")) for name, text in (("old", sys.argv[2]), ("new", sys.argv[3]))}
            def openers(wrapped, aad):
                found = []
                for name, key in keys.items():
                    try:
                        key.decrypt(wrapped[:12], wrapped[12:], aad.encode())
                        found.append(name)
                    except Exception:
                        pass
                return found
            rows = [("data keys", f"data-key|{v}", w) for v, w in db.execute("SELECT version, wrapped_key FROM data_keys")]
            rows += [("fingerprint keys", f"fingerprint-key|{t}", w) for t, w in db.execute("SELECT id, wrapped_fingerprint_key FROM tenants")]
            rows += [("card-data keys", f"card-data-key|{t}|{k}", w) for k, t, w in db.execute(
                "SELECT id, tenant_id, wrapped_private_key FROM card_data_keys WHERE deleted_at IS NULL")]
            rows += [("SSO secrets", f"sso-secret|{t}", w) for t, w in db.execute("SELECT tenant_id, wrapped_secret FROM sso_secrets")]
            meta = dict(db.execute("SELECT key, value FROM metadata"))
            rows.append(("audit key", "audit-key", meta["audit_key"]))
            out = {"keys": {}}
            for kind, aad, wrapped in rows:
                count = out["keys"].setdefault(kind, {"total": 0, "old": 0, "new": 0})
                count["total"] += 1
                for name in openers(wrapped, "coffer-wrap-v1|" + aad):
                    count[name] += 1
            for field, name, aad in (("check", "master_key_check", "check"),
                                     ("successor", "master_key_successor", "master-key-successor"),
                                     ("predecessor", "master_key_predecessor", "master-key-predecessor")):
                found = openers(meta[name], "coffer-wrap-v1|" + aad) if name in meta else []
                out[field] = found[0] if len(found) == 1 else None
            print(json.dumps(out))
            """, [path, old.encoded, new.encoded])
        #expect(result.status == 0, "\(result.standardError)")
        struct Output: Decodable { var keys: [String: Count]; var check: Opener?; var successor: Opener?; var predecessor: Opener? }
        let output = try JSONDecoder().decode(Output.self, from: Data(result.standardOutput.utf8))
        return WrappedKeyCheck(keys: output.keys, check: output.check, successor: output.successor, predecessor: output.predecessor)
    }
}
