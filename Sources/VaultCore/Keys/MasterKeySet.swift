import VaultCrypto

/// The master keys a vault holds. Outside a master-key rotation that is the one key it was given.
/// During one, the store holds the new key wrapped under the old (the successor) and the old
/// wrapped under the new (the predecessor), so a holder of either key gets both: it opens what
/// is wrapped under either, and wraps new keys under the new one — the one the stored check
/// value opens under.
struct MasterKeySet: Sendable {
    /// Wraps every new key; the stored check value opens under it.
    let current: MasterKey
    /// Every key held, `current` first.
    let all: [MasterKey]
    /// The check value `current` opened: writes of wrapped keys commit only while it is unchanged.
    let fence: MasterKeyFence
    /// The store holds a successor or predecessor: a rotation was begun and not finished.
    let isRotating: Bool

    /// The keys `held` lead to in the store's `state`: each opens the successor or predecessor
    /// if it can, and the current key is the first that opens the check value.
    /// - Throws: `masterKeyMismatch` when none of them does.
    static func resolve(holding held: [MasterKey], _ state: StoredMasterKeys) throws(VaultError) -> MasterKeySet {
        var keys: [MasterKey] = []
        for key in held where !keys.contains(key) { keys.append(key) }
        for (wrapped, purpose) in [(state.successor, KeyPurpose.masterKeySuccessor), (state.predecessor, .masterKeyPredecessor)] {
            guard let wrapped,
                  let secret = keys.lazy.compactMap({ try? $0.unwrap(wrapped, purpose: purpose) }).first,
                  let key = try? SymmetricKey(secret)
            else { continue }
            if !keys.contains(MasterKey(key)) { keys.append(MasterKey(key)) }
        }
        guard let current = keys.first(where: { (try? $0.unwrap(state.check, purpose: .check)) != nil }) else {
            throw .masterKeyMismatch
        }
        return MasterKeySet(current: current, all: [current] + keys.filter { $0 != current },
                            fence: MasterKeyFence(checkValue: state.check),
                            isRotating: state.successor != nil || state.predecessor != nil)
    }

    /// Opens a key wrapped under any key held, trying the current one first.
    func unwrap(_ wrapped: [UInt8], purpose: KeyPurpose) throws(VaultError) -> SecretBytes {
        for key in all {
            if let secret = try? key.unwrap(wrapped, purpose: purpose) { return secret }
        }
        throw .masterKeyMismatch
    }

    /// Wraps under the current key, with the fence its write must check.
    func wrap(_ secret: SecretBytes, purpose: KeyPurpose) -> WrappedKey {
        WrappedKey(bytes: current.wrap(secret, purpose: purpose), fence: fence)
    }
}

/// A key just wrapped under the current master key, and the fence its write checks.
struct WrappedKey: Sendable {
    let bytes: [UInt8]
    let fence: MasterKeyFence
}

/// What the store says about the master key: the check value, and while a rotation is under way
/// the successor and predecessor (`Vault.Metadata`).
struct StoredMasterKeys: Sendable {
    /// The plaintext sealed as the check value.
    static let checkPlaintext = SecretBytes(Array("coffer".utf8))

    let check: [UInt8]
    let successor: [UInt8]?
    let predecessor: [UInt8]?

    init(reading reader: any StorageReader) throws {
        guard let check = try reader.metadata(Vault.Metadata.masterKeyCheck) else { throw VaultError.masterKeyMismatch }
        self.check = check
        successor = try reader.metadata(Vault.Metadata.masterKeySuccessor)
        predecessor = try reader.metadata(Vault.Metadata.masterKeyPredecessor)
    }
}

/// Makes a write that stores a wrapped key commit only while the key it was wrapped under is
/// still the store's current master key, by comparing the check value inside the transaction.
/// A rotation replaces the check value when it begins, so after that a process still wrapping
/// under the old key cannot store anything the new key would not open: its write fails with
/// `Moved`, and the vault reloads its master keys and wraps again (`Vault.wrappingKeys`).
struct MasterKeyFence: Sendable, Equatable {
    struct Moved: Error {}

    let checkValue: [UInt8]

    func verify(_ writer: any StorageReader) throws {
        guard try writer.metadata(Vault.Metadata.masterKeyCheck) == checkValue else { throw Moved() }
    }
}
