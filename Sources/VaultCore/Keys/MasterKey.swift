import Foundation
import VaultCrypto

/// The key-encryption key (KEK): every other key is stored only sealed under it, so the
/// database alone reveals nothing. It lives outside the database — in a file (ideally on
/// another volume), the process environment, or a key-management service whose command line
/// prints it — and never in it.
public struct MasterKey: Sendable, Equatable {
    public static let environmentVariable = "COFFER_MASTER_KEY"

    let key: SymmetricKey

    public init(_ key: SymmetricKey) { self.key = key }

    public static func generate() -> MasterKey { MasterKey(SymmetricKey.generate()) }

    /// Parses the text form: 43 Base64URL characters (32 bytes), surrounding whitespace ignored.
    public init(encoded: String) throws(VaultError) {
        try self.init(encoded: SecretBytes(encoded.utf8))
    }

    /// Parses the text form held in wiped storage (read from a file, a command or the
    /// environment), without copying the key into ordinary memory.
    public init(encoded text: SecretBytes) throws(VaultError) {
        let trimmed = text.withUnsafeBytes { bytes in
            let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
            let start = bytes.firstIndex { !isSpace($0) } ?? bytes.endIndex
            let end = (bytes.lastIndex { !isSpace($0) }).map { $0 + 1 } ?? start
            return SecretBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        }
        guard let decoded = Base64URL.decode(trimmed), let key = try? SymmetricKey(decoded) else {
            throw .invalidMasterKey("expected 43 Base64URL characters encoding 32 bytes")
        }
        self.key = key
    }

    /// The text form written to key files and accepted from the environment.
    public var encoded: String { key.secret.withUnsafeBytes { Base64URL.encode($0) } }

    /// The longest key file or command output accepted: a key is 43 characters and a newline.
    public static let maximumEncodedLength = 4096

    /// Reads a key file, refusing one that other users can read.
    public static func load(from url: URL) throws(VaultError) -> MasterKey {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .invalidMasterKey("cannot read \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .invalidMasterKey("cannot read \(url.path)") }
        guard info.st_mode & 0o077 == 0 else {
            throw .invalidMasterKey("\(url.path) must be readable by its owner only (chmod 600)")
        }
        let text: SecretBytes
        do {
            text = try SecretBytes.read(from: fd, atMost: maximumEncodedLength)
        } catch {
            throw .invalidMasterKey("cannot read \(url.path): \(error)")
        }
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
    /// During a master-key rotation: the new master key, wrapped under the old one.
    case masterKeySuccessor
    /// During a master-key rotation: the old master key, wrapped under the new one.
    case masterKeyPredecessor

    var associatedData: [UInt8] {
        switch self {
        case .check: Array("coffer-wrap-v1|check".utf8)
        case .dataKey(let version): Array("coffer-wrap-v1|data-key|\(version)".utf8)
        case .fingerprintKey(let tenant): Array("coffer-wrap-v1|fingerprint-key|\(tenant.rawValue)".utf8)
        case .cardDataKey(let tenant, let id): Array("coffer-wrap-v1|card-data-key|\(tenant.rawValue)|\(id.rawValue)".utf8)
        case .ssoSecret(let tenant): Array("coffer-wrap-v1|sso-secret|\(tenant.rawValue)".utf8)
        case .auditKey: Array("coffer-wrap-v1|audit-key".utf8)
        case .masterKeySuccessor: Array("coffer-wrap-v1|master-key-successor".utf8)
        case .masterKeyPredecessor: Array("coffer-wrap-v1|master-key-predecessor".utf8)
        }
    }
}
