import Foundation
import VaultCrypto

/// The key-encryption key (KEK): every other key is stored only sealed under it, so the
/// database alone reveals nothing. It lives outside the database — in a file (ideally on
/// another volume) or in the process environment — and never in it.
public struct MasterKey: Sendable {
    public static let environmentVariable = "COFFER_MASTER_KEY"

    let key: SymmetricKey

    public init(_ key: SymmetricKey) { self.key = key }

    public static func generate() -> MasterKey { MasterKey(SymmetricKey.generate()) }

    /// Parses the text form: 43 Base64URL characters (32 bytes), surrounding whitespace ignored.
    public init(encoded: String) throws(VaultError) {
        let trimmed = encoded.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Base64URL.decode(trimmed), bytes.count == 32,
              let key = try? SymmetricKey(SecretBytes(bytes))
        else { throw .invalidMasterKey("expected 43 Base64URL characters encoding 32 bytes") }
        self.key = key
    }

    /// The text form written to key files and accepted from the environment.
    public var encoded: String { key.secret.withUnsafeBytes { Base64URL.encode($0) } }

    /// Reads a key file, refusing one that other users can read.
    public static func load(from url: URL) throws(VaultError) -> MasterKey {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw .invalidMasterKey("cannot read \(url.path)") }
        guard info.st_mode & 0o077 == 0 else {
            throw .invalidMasterKey("\(url.path) must be readable by its owner only (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: url.path),
              let text = String(data: data, encoding: .utf8)
        else { throw .invalidMasterKey("cannot read \(url.path)") }
        return try MasterKey(encoded: text)
    }

    /// Writes a new key file with mode 0600; never overwrites an existing one.
    public func write(to url: URL) throws(VaultError) {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw .invalidMasterKey("cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let line = Array((encoded + "\n").utf8)
        let written = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else { throw .invalidMasterKey("cannot write \(url.path)") }
    }

    /// Seals a key under the KEK, bound to its purpose so a wrapped key cannot be moved to another row.
    func wrap(_ secret: SecretBytes, purpose: KeyPurpose) -> [UInt8] {
        // Sealing with a valid 32-byte key and a fresh nonce cannot fail.
        try! AESGCM.seal(secret, using: key, authenticating: purpose.associatedData).combined
    }

    func unwrap(_ wrapped: [UInt8], purpose: KeyPurpose) throws(VaultError) -> SecretBytes {
        do {
            return try AESGCM.open(AESGCMSealedBox(combined: wrapped), using: key,
                                   authenticating: purpose.associatedData)
        } catch {
            throw .masterKeyMismatch
        }
    }
}

/// What a wrapped key is for; its encoding is the AAD of the wrapping.
enum KeyPurpose {
    case check
    case dataKey(version: Int)
    case fingerprintKey(TenantID)
    case cardDataKey(TenantID, KeyID)
    case ssoSecret(TenantID)
    case auditKey

    var associatedData: [UInt8] {
        switch self {
        case .check: Array("coffer-wrap-v1|check".utf8)
        case .dataKey(let version): Array("coffer-wrap-v1|data-key|\(version)".utf8)
        case .fingerprintKey(let tenant): Array("coffer-wrap-v1|fingerprint-key|\(tenant.rawValue)".utf8)
        case .cardDataKey(let tenant, let id): Array("coffer-wrap-v1|card-data-key|\(tenant.rawValue)|\(id.rawValue)".utf8)
        case .ssoSecret(let tenant): Array("coffer-wrap-v1|sso-secret|\(tenant.rawValue)".utf8)
        case .auditKey: Array("coffer-wrap-v1|audit-key".utf8)
        }
    }
}
