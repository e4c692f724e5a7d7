import Foundation
import VaultCrypto

extension Vault {
    /// How many duplicate account IDs a duplicate check reports.
    public static let duplicateAccountLimit = 3

    /// Stores a card or bank account with its holder. A card account's ID is the token of its
    /// card, so the native API can reveal it. The duplicate check runs inside the write
    /// transaction (one writer), so two concurrent creates of one card cannot both pass it.
    public func createAccount(_ new: NewAccount, tenant: TenantID, actor: String,
                              idempotency: IdempotencyRecording<CreatedAccount>? = nil) async throws -> CreatedAccount {
        let token = Token.generate()
        let now = clock()
        let card: CardRecord?, bankAccount: BankAccount?
        switch new.instrument {
        case .card(let input):
            card = try await sealedRecord(of: try await resolve(input, tenant: tenant), token: token, tenant: tenant, at: now)
            bankAccount = nil
        case .bank(let account):
            card = nil
            bankAccount = account
        }
        let record = try await sealedAccount(token: token, tenant: tenant, referenceID: new.referenceID,
                                             duplicateCheck: card != nil && new.duplicateCheck != .none,
                                             holder: new.holder, bank: bankAccount, at: now)
        let bank = record.bank
        let check = new.duplicateCheck
        let recordResponse = recorder(idempotency)
        return try await write { writer in
            var duplicates: [Token] = []
            if let card, check != .none {
                duplicates = try writer.duplicateCheckedAccounts(fingerprint: card.fingerprint, tenant: tenant,
                                                                  limit: Self.duplicateAccountLimit)
                if check == .reject, !duplicates.isEmpty { throw VaultError.duplicateCard(existing: duplicates) }
            }
            if let card { try writer.insertCard(card) }
            try writer.insertAccount(record)
            let created = CreatedAccount(id: token, card: card.map(CardMetadata.init), bank: bank.map(Self.summary),
                                         duplicates: duplicates)
            try recordResponse?(writer, created)
            return created
        }
    }

    public func account(_ id: Token, tenant: TenantID) async throws -> AccountDetails {
        let (record, card) = try await read { reader -> (AccountRecord?, CardRecord?) in
            (try reader.account(id, tenant: tenant), try reader.card(id, tenant: tenant))
        }
        guard let record else { throw VaultError.accountNotFound }
        guard record.deletedAt == nil else { throw VaultError.accountDeleted }
        return try await details(of: record, card: card)
    }

    /// The newest live account created with this reference ID — a way to recover an account ID
    /// whose response was lost, so only for `maximumAge` after the account was created.
    public func account(referenceID: String, tenant: TenantID, maximumAge: TimeInterval) async throws -> AccountDetails {
        let (record, card) = try await read { reader -> (AccountRecord?, CardRecord?) in
            guard let record = try reader.newestAccount(referenceID: referenceID, tenant: tenant) else { return (nil, nil) }
            return (record, try reader.card(record.token, tenant: tenant))
        }
        guard let record else { throw VaultError.accountNotFound }
        guard clock().timeIntervalSince(record.createdAt) <= maximumAge else { throw VaultError.referenceLookupExpired }
        return try await details(of: record, card: card)
    }

    /// Deletes the account and its card, keeping a tombstone: a second delete is `accountDeleted`.
    public func deleteAccount(_ id: Token, tenant: TenantID, actor: String) async throws {
        let now = clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .accountDelete, subject: id.rawValue,
                               outcome: .success)
        try await write { writer in
            guard let record = try writer.account(id, tenant: tenant) else { throw VaultError.accountNotFound }
            guard try writer.markAccountDeleted(id, tenant: tenant, at: now) else {
                throw record.deletedAt == nil ? VaultError.accountNotFound : VaultError.accountDeleted
            }
            _ = try writer.deleteCard(id, tenant: tenant)
            _ = try writer.appendAudit(event, at: now)
        }
    }

    private func details(of record: AccountRecord, card: CardRecord?) async throws -> AccountDetails {
        guard record.bank != nil || card != nil else { throw VaultError.integrityFailure }
        let holder = try await openSealed(.accountHolder, record.sealedHolder, version: record.keyVersion,
                                          tenant: record.tenantID, subject: record.token.rawValue)
        return AccountDetails(id: record.token, referenceID: record.referenceID, card: card.map(CardMetadata.init),
                              bank: record.bank.map(Self.summary), holder: holder.withUnsafeBytes { Array($0) },
                              createdAt: record.createdAt)
    }

    /// An account ready to insert: the holder's details and any bank account number sealed under
    /// one data-key version (the record names one), the bank account fingerprinted.
    func sealedAccount(token: Token, tenant: TenantID, referenceID: String?, duplicateCheck: Bool, holder: [UInt8],
                       bank account: BankAccount?, at now: Date) async throws -> AccountRecord {
        let (version, key) = try activeDataKey()
        let seal = { (kind: RecordSealing.Kind, plaintext: SecretBytes) in
            RecordSealing.seal(kind, plaintext, key: key, tenant: tenant, subject: token.rawValue, keyVersion: version)
        }
        var bank: StoredBankAccount?
        if let account {
            let fingerprintKey = try await keyring.fingerprintKey(for: tenant, storage: storage)
            // Domain-separated from card fingerprints, which are over the PAN digits alone.
            let identity = SecretBytes("bank|\(account.routingNumber.digits)|\(account.accountNumber.digits)".utf8)
            bank = StoredBankAccount(
                sealedNumber: seal(.bankAccountNumber, SecretBytes(account.accountNumber.digits.utf8)),
                fingerprint: HMACSHA256.authenticationCode(for: identity, using: fingerprintKey),
                routingNumber: account.routingNumber.digits, accountType: account.accountType,
                last4: account.accountNumber.last4)
        }
        return AccountRecord(token: token, tenantID: tenant, referenceID: referenceID, duplicateCheck: duplicateCheck,
                             sealedHolder: seal(.accountHolder, SecretBytes(holder)), keyVersion: version, bank: bank,
                             createdAt: now)
    }

    static func summary(_ bank: StoredBankAccount) -> BankAccountSummary {
        BankAccountSummary(routingNumber: bank.routingNumber, accountType: bank.accountType, last4: bank.last4)
    }
}
