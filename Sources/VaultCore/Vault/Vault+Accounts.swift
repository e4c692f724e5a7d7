import Foundation
import VaultCrypto

extension Vault {
    /// How many duplicate account IDs a duplicate check reports: TabaPay returns up to 5.
    public static let duplicateAccountLimit = 5

    /// Stores a card or bank account with its holder. A card account's ID is the token of its
    /// card, so the native API can reveal it. The duplicate check runs inside the write
    /// transaction (one writer), so two concurrent creates of one card cannot both pass it; it
    /// runs only for a caller with the `fingerprint` grant (see `DuplicateCheckGrant`). A card
    /// counts as a tokenize and is audited (`card.tokenize`) in the transaction that stores it.
    public func createAccount(_ new: NewAccount, tenant: TenantID, caller: Principal, actor: AuditActor,
                              idempotency: IdempotencyRecording<SavedAccount>? = nil) async throws -> SavedAccount {
        let grant = try admitAccount(new.instrument, check: new.duplicateCheck, for: caller)
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
                                             duplicateCheck: grant.check != .none,
                                             holder: new.holder, bank: bankAccount, at: now)
        let bank = record.bank
        let event = Self.tokenizeEvent(token, tenant: tenant, actor: actor)
        let recordResponse = recorder(idempotency)
        return try await write { writer in
            var duplicates: [Token] = []
            if let card, grant.check != .none {
                duplicates = try writer.duplicateCheckedAccounts(fingerprint: card.fingerprint, tenant: tenant,
                                                                  limit: Self.duplicateAccountLimit)
                if grant.check == .reject, !duplicates.isEmpty { throw VaultError.duplicateCard(existing: duplicates) }
            }
            if let card {
                try writer.insertCard(card)
                try self.auditLog.append(event, at: now, to: writer)
            }
            try writer.insertAccount(record)
            let created = SavedAccount(id: token, card: card.map(CardMetadata.init), bank: bank.map(Self.summary),
                                       duplicates: duplicates, duplicateCheckSkipped: grant.skipped)
            try recordResponse?(writer, created, naming: [token.rawValue])
            return created
        }
    }

    /// The duplicate check a request gets: the one it asked for on a card if the caller holds the
    /// `fingerprint` grant; otherwise none, and `skipped` when one was asked for. A caller
    /// without the grant never has the check run, so neither the answer nor its timing tells
    /// whether the card is stored already.
    private struct DuplicateCheckGrant {
        var check: DuplicateCardCheck
        var skipped: Bool
    }

    /// Charges the caller for what an account create or v1 update with `instrument` does (a card
    /// is a tokenize, a check a duplicate answer) and says which check runs.
    private func admitAccount(_ instrument: AccountInstrument, check: DuplicateCardCheck,
                              for caller: Principal) throws(VaultError) -> DuplicateCheckGrant {
        guard case .card = instrument else { return DuplicateCheckGrant(check: .none, skipped: false) }
        let granted = check != .none && caller.has(.fingerprint)
        try admit(granted ? [.tokenize, .duplicates] : [.tokenize], for: caller)
        return DuplicateCheckGrant(check: granted ? check : .none, skipped: check != .none && !granted)
    }

    public func account(_ id: Token, tenant: TenantID) async throws -> AccountDetails {
        let (record, card) = try await readReplica { reader -> (AccountRecord?, CardRecord?) in
            (try reader.account(id, tenant: tenant), try reader.card(id, tenant: tenant))
        }
        return try await details(of: try Self.live(record), card: card)
    }

    /// The newest live account created with this reference ID — a way to recover an account ID
    /// whose response was lost, so only for `maximumAge` after the account was created.
    public func account(referenceID: String, tenant: TenantID, maximumAge: TimeInterval) async throws -> AccountDetails {
        let (record, card) = try await readReplica { reader -> (AccountRecord?, CardRecord?) in
            guard let record = try reader.newestAccount(referenceID: referenceID, tenant: tenant) else { return (nil, nil) }
            return (record, try reader.card(record.token, tenant: tenant))
        }
        guard let record else { throw VaultError.accountNotFound }
        guard clock().timeIntervalSince(record.createdAt) <= maximumAge else { throw VaultError.referenceLookupExpired }
        return try await details(of: record, card: card)
    }

    /// Deletes the account and its card, keeping a tombstone: a second delete is `accountDeleted`.
    /// Recorded responses naming it are neutralised, so a retry of its creation stores nothing.
    public func deleteAccount(_ id: Token, tenant: TenantID, actor: AuditActor) async throws {
        let now = clock()
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .accountDelete, subject: id.rawValue,
                               outcome: .success)
        try await write { writer in
            guard let record = try writer.account(id, tenant: tenant) else { throw VaultError.accountNotFound }
            guard try writer.markAccountDeleted(id, tenant: tenant, at: now) else {
                throw record.deletedAt == nil ? VaultError.accountNotFound : VaultError.accountDeleted
            }
            _ = try writer.deleteCard(id, tenant: tenant)
            _ = try writer.neutralizeIdempotencyRecords(naming: id.rawValue)
            try self.auditLog.append(event, at: now, to: writer)
        }
    }

    /// Changes a live account in place: the ID stays, new secrets are sealed under the active data
    /// key, and the change is one write transaction with its audit entry. An account keeps its
    /// kind (`accountKindMismatch` otherwise): payment methods and the native API hold its token as
    /// a card or a bank account.
    public func updateAccount(_ id: Token, _ update: AccountUpdate, tenant: TenantID, caller: Principal,
                              actor: AuditActor) async throws -> SavedAccount {
        switch update {
        case .replace(let instrument, let holder, let check):
            return try await replaceAccount(id, with: instrument, holder: holder, duplicateCheck: check,
                                            tenant: tenant, caller: caller, actor: actor)
        case .amend(let holder, let expiration):
            // Re-sealing needs what is stored; the write goes ahead only if nothing changed in
            // between, so a concurrent update is retried rather than overwritten.
            var attempt = 1
            while true {
                do {
                    return try await amendAccount(id, holder: holder, expiration: expiration, tenant: tenant, actor: actor)
                } catch is ConcurrentAccountChange where attempt < 3 {
                    attempt += 1
                } catch is ConcurrentAccountChange {
                    throw VaultError.storage(.serializationFailure("the account kept changing under concurrent updates"))
                }
            }
        }
    }

    /// v1: a new card replaces the stored one under the same token (the old ciphertext is
    /// overwritten), or a new bank account the stored one; the holder is replaced either way.
    /// The duplicate check is create's, except that the account is no duplicate of itself. A new
    /// card is audited as a tokenize beside the account's update.
    private func replaceAccount(_ id: Token, with instrument: AccountInstrument, holder: [UInt8],
                                duplicateCheck requested: DuplicateCardCheck, tenant: TenantID, caller: Principal,
                                actor: AuditActor) async throws -> SavedAccount {
        let grant = try admitAccount(instrument, check: requested, for: caller)
        let check = grant.check
        // Checked before a single-use token is taken or card data decrypted, and again in the write.
        let current = try Self.live(try await read { try $0.account(id, tenant: tenant) })
        let now = clock()
        let card: CardRecord?, bankAccount: BankAccount?
        switch instrument {
        case .card(let input):
            guard current.bank == nil else { throw VaultError.accountKindMismatch }
            card = try await sealedRecord(of: try await resolve(input, tenant: tenant), token: id, tenant: tenant, at: now)
            bankAccount = nil
        case .bank(let account):
            guard current.bank != nil else { throw VaultError.accountKindMismatch }
            card = nil
            bankAccount = account
        }
        // A flag makes the account take part in later checks; no flag leaves it as it was.
        let record = try await sealedAccount(token: id, tenant: tenant, referenceID: current.referenceID,
                                             duplicateCheck: current.duplicateCheck || (card != nil && check != .none),
                                             holder: holder, bank: bankAccount, at: current.createdAt)
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .accountUpdate, subject: id.rawValue,
                               outcome: .success)
        let tokenizeEvent = Self.tokenizeEvent(id, tenant: tenant, actor: actor)
        return try await write { writer in
            _ = try Self.live(try writer.account(id, tenant: tenant))
            var duplicates: [Token] = []
            if let card, check != .none {
                duplicates = Array(try writer.duplicateCheckedAccounts(fingerprint: card.fingerprint, tenant: tenant,
                                                                       limit: Self.duplicateAccountLimit + 1)
                    .filter { $0 != id }.prefix(Self.duplicateAccountLimit))
                if check == .reject, !duplicates.isEmpty { throw VaultError.duplicateCard(existing: duplicates) }
            }
            guard try writer.replaceAccount(record) else { throw VaultError.integrityFailure }
            if let card {
                guard try writer.replaceCard(card) else { throw VaultError.integrityFailure }
                try self.auditLog.append(tokenizeEvent, at: now, to: writer)
            }
            try self.auditLog.append(event, at: now, to: writer)
            return SavedAccount(id: id, card: card.map(CardMetadata.init), bank: record.bank.map(Self.summary),
                                duplicates: duplicates, duplicateCheckSkipped: grant.skipped)
        }
    }

    /// v2: the holder and/or the card's expiration, re-sealed under the active data key; the card
    /// number is re-sealed unchanged beside the new expiry.
    private func amendAccount(_ id: Token, holder change: (@Sendable ([UInt8]) throws -> [UInt8])?,
                              expiration: ExpirationDate?, tenant: TenantID, actor: AuditActor) async throws -> SavedAccount {
        let (found, card) = try await read { reader -> (AccountRecord?, CardRecord?) in
            (try reader.account(id, tenant: tenant), try reader.card(id, tenant: tenant))
        }
        let current = try Self.live(found)
        let now = clock()
        let newCard: CardRecord?
        if let expiration {
            guard let card else { throw VaultError.accountKindMismatch }
            let key = try await keyring.dataKey(version: card.keyVersion, storage: storage)
            let stored = try RecordSealing.open(card.ciphertext, key: key, tenant: tenant, token: id, keyVersion: card.keyVersion)
            newCard = try await sealedRecord(of: CardData(number: stored.number, expiration: expiration), token: id,
                                             tenant: tenant, at: now)
        } else {
            newCard = nil
        }
        var record = current
        if let change {
            let (version, key) = try activeDataKey()
            let seal = { (kind: RecordSealing.Kind, plaintext: SecretBytes) in
                RecordSealing.seal(kind, plaintext, key: key, tenant: tenant, subject: id.rawValue, keyVersion: version)
            }
            let holder = try await openSealed(.accountHolder, current.sealedHolder, version: current.keyVersion,
                                              tenant: tenant, subject: id.rawValue)
            record.sealedHolder = seal(.accountHolder, SecretBytes(try change(holder.bytes)))
            if let bank = current.bank {
                // A row names one key version, so the bank number moves to it with the holder.
                record.bank?.sealedNumber = seal(.bankAccountNumber, try await openSealed(
                    .bankAccountNumber, bank.sealedNumber, version: current.keyVersion, tenant: tenant, subject: id.rawValue))
            }
            record.keyVersion = version
        }
        let updated = record
        let event = AuditEvent(tenantID: tenant, actor: actor, action: .accountUpdate, subject: id.rawValue,
                               outcome: .success)
        return try await write { writer in
            guard try writer.account(id, tenant: tenant) == current, try writer.card(id, tenant: tenant) == card else {
                throw ConcurrentAccountChange()
            }
            if updated != current, try !writer.replaceAccount(updated) { throw VaultError.integrityFailure }
            if let newCard, try !writer.replaceCard(newCard) { throw VaultError.integrityFailure }
            try self.auditLog.append(event, at: now, to: writer)
            return SavedAccount(id: id, card: (newCard ?? card).map(CardMetadata.init), bank: updated.bank.map(Self.summary),
                                duplicates: [])
        }
    }

    /// The account if it exists and is not deleted.
    private static func live(_ record: AccountRecord?) throws(VaultError) -> AccountRecord {
        guard let record else { throw .accountNotFound }
        guard record.deletedAt == nil else { throw .accountDeleted }
        return record
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

/// The account changed between an update's read and its write.
private struct ConcurrentAccountChange: Error {}
