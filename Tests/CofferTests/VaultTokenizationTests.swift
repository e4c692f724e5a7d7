import Foundation
import TestSupport
import Testing
import VaultCore
import VaultCrypto
import VaultStore

@Suite("Tokenize, reveal, duplicates and integrity over the real SQLite store", .ownThreads)
struct VaultTokenizationTests {
    @Test("10,000 distinct PANs: every token reveals its own card after reopening; no PAN in the files")
    func tenThousandCardsRoundTrip() async throws {
        let count = 10_000
        let test = try await TestVault.make()
        let numbers = (0..<count).map { TestPAN.make($0) }
        let expirations = (0..<count).map { index in "20\(30 + index % 10)\(String(index % 12 + 1).leftPadded(to: 2))" }

        // 64 callers at a time, as an HTTP front end would submit them.
        let tokens = try await withThrowingTaskGroup(of: (Int, Token).self) { group in
            var tokens = [Token?](repeating: nil, count: count)
            var next = 0
            func submit() throws {
                let index = next
                next += 1
                let card = CardInput.plain(CardData(number: try PrimaryAccountNumber(numbers[index]),
                                                    expiration: try ExpirationDate(yyyymm: expirations[index])))
                group.addTask { (index, try await test.vault.tokenize(card, tenant: test.tenant, caller: test.admin, actor: "test").metadata.token) }
            }
            for _ in 0..<64 { try submit() }
            while let (index, token) = try await group.next() {
                tokens[index] = token
                if next < count { try submit() }
            }
            return tokens.map { $0! }
        }
        #expect(Set(tokens).count == count)

        let panSet = Set(numbers)
        #expect(try !file(test.databasePath, containsAnyOf: panSet))
        #expect(try !file(test.databasePath + "-wal", containsAnyOf: panSet))

        let reopened = try await test.reopened()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for slice in stride(from: 0, to: count, by: count / 8) {
                group.addTask {
                    for index in slice..<min(slice + count / 8, count) {
                        let card = try await reopened.vault.reveal(tokens[index], tenant: reopened.tenant, caller: reopened.admin, actor: "test")
                        #expect(card.number.digits == numbers[index])
                        #expect(card.expiration?.yyyymm == expirations[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try !file(reopened.databasePath, containsAnyOf: panSet))
        #expect(try !file(reopened.databasePath + "-wal", containsAnyOf: panSet))
        await reopened.storage.close()
    }

    @Test("Metadata shows brand, leading digits, last4 and expiration, never the number")
    func metadata() async throws {
        let test = try await TestVault.make()
        let tokenized = try await test.vault.tokenize(
            .plain(CardData(packed: "378282246310005|203101|1234")), tenant: test.tenant, caller: test.admin, actor: "test")
        let metadata = try await test.vault.metadata(of: tokenized.metadata.token, tenant: test.tenant, caller: test.admin)
        #expect(metadata.brand == .amex)
        #expect(metadata.bin == "37828")  // 15 digits: five leading digits, six hidden
        #expect(metadata.last4 == "0005")
        #expect(metadata.expiration?.yyyymm == "203101")
        #expect(tokenized.securityCode != nil)
        #expect(!"\(metadata)".contains("378282246310005"))
        await test.storage.close()
    }

    @Test("Same PAN twice in a tenant: same fingerprint, first token reported; another tenant: another fingerprint")
    func duplicates() async throws {
        let test = try await TestVault.make()
        let first = try await test.vault.tokenize(TestPAN.card(7), tenant: test.tenant, caller: test.admin, actor: "test")
        let second = try await test.vault.tokenize(TestPAN.card(7, expiration: "203205"), tenant: test.tenant, caller: test.admin, actor: "test")
        #expect(first.duplicates == [])
        #expect(second.duplicates == [first.metadata.token])
        #expect(second.metadata.fingerprint == first.metadata.fingerprint)
        #expect(second.metadata.token != first.metadata.token)

        let other = try await test.vault.createTenant(name: "other", actor: "test").id
        let elsewhere = try await test.vault.tokenize(TestPAN.card(7), tenant: other, caller: .admin(of: other), actor: "test")
        #expect(elsewhere.duplicates == [])
        #expect(elsewhere.metadata.fingerprint != first.metadata.fingerprint)

        let found = try await test.vault.cards(matching: PrimaryAccountNumber(TestPAN.make(7)), tenant: test.tenant, caller: test.admin)
        #expect(found.map(\.token) == [first.metadata.token, second.metadata.token])

        await #expect(throws: VaultError.duplicateCard(existing: [first.metadata.token, second.metadata.token])) {
            try await test.vault.tokenize(TestPAN.card(7), tenant: test.tenant, caller: test.admin, actor: "test", duplicates: .reject)
        }
        #expect(try await test.vault.cards(matching: PrimaryAccountNumber(TestPAN.make(7)), tenant: test.tenant, caller: test.admin).count == 2)
        await test.storage.close()
    }

    @Test("Another tenant's token is not found; a deleted card is gone")
    func isolationAndDelete() async throws {
        let test = try await TestVault.make()
        let token = try await test.vault.tokenize(TestPAN.card(1), tenant: test.tenant, caller: test.admin, actor: "test").metadata.token
        let other = try await test.vault.createTenant(name: "other", actor: "test").id
        await #expect(throws: VaultError.cardNotFound) { try await test.vault.metadata(of: token, tenant: other, caller: .admin(of: other)) }
        await #expect(throws: VaultError.cardNotFound) { try await test.vault.reveal(token, tenant: other, caller: .admin(of: other), actor: "t") }
        await #expect(throws: VaultError.cardNotFound) { try await test.vault.delete(token, tenant: other, actor: "t") }

        try await test.vault.delete(token, tenant: test.tenant, actor: "test")
        await #expect(throws: VaultError.cardNotFound) { try await test.vault.reveal(token, tenant: test.tenant, caller: test.admin, actor: "t") }
        await #expect(throws: VaultError.cardNotFound) { try await test.vault.delete(token, tenant: test.tenant, actor: "t") }
        await test.storage.close()
    }

    @Test("Expired cards and invalid numbers are refused and change nothing")
    func refusals() async throws {
        let now = Date(timeIntervalSince1970: 1_900_000_000)  // 2030-03-17
        let test = try await TestVault.make(clock: { now })
        await #expect(throws: VaultError.card(.expiredCard)) {
            try await test.vault.tokenize(TestPAN.card(1, expiration: "203002"), tenant: test.tenant, caller: test.admin, actor: "test")
        }
        _ = try await test.vault.tokenize(TestPAN.card(1, expiration: "203003"), tenant: test.tenant, caller: test.admin, actor: "test")
        #expect(try await test.storage.read { try $0.cardCount() } == 1)
        await test.storage.close()
    }

    @Test("A flipped ciphertext byte, or two rows' ciphertexts swapped, fail with an integrity error")
    func tamperedCiphertext() async throws {
        let test = try await TestVault.make()
        let a = try await test.vault.tokenize(TestPAN.card(1), tenant: test.tenant, caller: test.admin, actor: "test").metadata.token
        let b = try await test.vault.tokenize(TestPAN.card(2), tenant: test.tenant, caller: test.admin, actor: "test").metadata.token
        let c = try await test.vault.tokenize(TestPAN.card(3), tenant: test.tenant, caller: test.admin, actor: "test").metadata.token
        await test.storage.close()

        // Edit the file with an independent SQLite client, as an attacker with the file would.
        let edit = try await ProcessRunner.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            a, b, c = sys.argv[2:5]
            ct = bytearray(db.execute("SELECT ciphertext FROM cards WHERE token=?", (a,)).fetchone()[0])
            ct[20] ^= 0x01
            db.execute("UPDATE cards SET ciphertext=? WHERE token=?", (bytes(ct), a))
            cb = db.execute("SELECT ciphertext FROM cards WHERE token=?", (b,)).fetchone()[0]
            cc = db.execute("SELECT ciphertext FROM cards WHERE token=?", (c,)).fetchone()[0]
            db.execute("UPDATE cards SET ciphertext=? WHERE token=?", (cc, b))
            db.execute("UPDATE cards SET ciphertext=? WHERE token=?", (cb, c))
            db.commit()
            """, [test.databasePath, a.rawValue, b.rawValue, c.rawValue])
        #expect(edit.status == 0, "\(edit.standardError)")

        let storage = try SQLiteStorage.open(path: test.databasePath)
        let vault = try await Vault.open(storage: storage, masterKey: test.masterKey, clock: { TestClock.start })
        for token in [a, b, c] {
            await #expect(throws: VaultError.integrityFailure) {
                try await vault.reveal(token, tenant: test.tenant, caller: test.admin, actor: "test")
            }
        }
        let failures = try await storage.read { try $0.auditEntries(after: 0, limit: 1000) }
            .filter { $0.event.action == .cardReveal && $0.event.outcome == .failure }
        #expect(failures.count == 3)
        await storage.close()
    }

    @Test("A different master key is refused at open")
    func wrongMasterKey() async throws {
        let test = try await TestVault.make()
        await test.storage.close()
        let storage = try SQLiteStorage.open(path: test.databasePath)
        await #expect(throws: VaultError.masterKeyMismatch) {
            try await Vault.open(storage: storage, masterKey: .generate(), clock: { TestClock.start })
        }
        await storage.close()
    }
}
