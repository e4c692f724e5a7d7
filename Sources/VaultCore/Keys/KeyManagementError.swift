import Foundation

/// Why an operator's key operation (`coffer keys …`) was refused. Nothing was changed; each has a
/// stable code and a message that says what to do instead.
public enum KeyManagementError: Error, Equatable, Sendable {
    case dataKeyNotFound(version: Int)
    /// The active version seals every new record: rotate first.
    case dataKeyActive(version: Int)
    /// Records are still sealed under the version: `keys rotate` moves them.
    case dataKeyInUse(version: Int, records: [SealedRecordKind: Int])
    /// The version was active until recently, and a running server may still seal under it until
    /// it reloads its data keys.
    case dataKeyRecentlyActive(version: Int, retirableAt: Date)
    /// A master-key rotation to another key was begun and not finished.
    case masterKeyRotationInProgress
    /// `--finish` was given the old master key: finishing must prove the new one is at hand.
    case finishNeedsNewMasterKey
    /// The key to rotate to is already the master key.
    case sameMasterKey

    public var code: String {
        switch self {
        case .dataKeyNotFound: "data_key_not_found"
        case .dataKeyActive: "data_key_active"
        case .dataKeyInUse: "data_key_in_use"
        case .dataKeyRecentlyActive: "data_key_recently_active"
        case .masterKeyRotationInProgress: "master_key_rotation_in_progress"
        case .finishNeedsNewMasterKey: "finish_needs_new_master_key"
        case .sameMasterKey: "same_master_key"
        }
    }

    public var message: String {
        switch self {
        case .dataKeyNotFound(let version): "There is no data key v\(version)."
        case .dataKeyActive(let version):
            "Data key v\(version) is the active version; run `coffer keys rotate` first."
        case .dataKeyInUse(let version, let records):
            "Data key v\(version) still seals \(records.values.reduce(0, +)) records; run `coffer keys rotate` to move them."
        case .dataKeyRecentlyActive(let version, let date):
            "Data key v\(version) was active until recently and a running server may still seal under it; retry after \(date.formatted(.iso8601))."
        case .masterKeyRotationInProgress:
            "A master-key rotation to another key is in progress; finish it with `coffer keys rotate-master --finish` first."
        case .finishNeedsNewMasterKey:
            "Finish a master-key rotation with the new master key, which will be the only one that opens the vault."
        case .sameMasterKey:
            "The new master key is the master key already; give a new one."
        }
    }
}
