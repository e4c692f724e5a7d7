import VaultCrypto

/// The RSA padding a client used to encrypt card data: TabaPay's `mode` values.
///
/// Parsing accepts all three; whether `.pkcs1v15` is allowed is a tenant policy decided by the
/// decrypting code (it is refused by default: it invites padding-oracle attacks).
public enum EncryptionMode: Int, Sendable, Hashable, CaseIterable, Codable {
    /// RSAES-PKCS1-v1_5. Refused unless explicitly enabled.
    case pkcs1v15 = 0
    /// RSA-OAEP with SHA-256 and MGF1-SHA-1 (Java's `OAEPWithSHA-256AndMGF1Padding`).
    case oaepSHA256MGF1SHA1 = 1
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256. The default.
    case oaepSHA256MGF1SHA256 = 2

    /// The mode used when a request names none.
    public static let standard: EncryptionMode = .oaepSHA256MGF1SHA256
}

/// Encrypted card data as clients send it: a keyID naming one of the tenant's RSA keys, and
/// Base64URL RSA ciphertext of the packed card data. Parsing only checks the envelope; the
/// decrypting code turns the plaintext into `CardData` with `cardData(fromDecrypted:)`.
public struct EncryptedCardData: Sendable {
    /// Largest accepted ciphertext, in bytes: one block of an 8192-bit RSA key.
    public static let maximumCiphertextCount = 1024

    public let keyID: KeyID
    public let ciphertext: [UInt8]
    public let mode: EncryptionMode

    /// Validates the envelope, in argument order: `keyID` (`.invalidKeyID`), then `data`
    /// (strict unpadded Base64URL, non-empty, at most `maximumCiphertextCount` bytes, else
    /// `.invalidEncryptedData`), then `mode` (`nil` means `.standard`; anything but 0, 1 or 2
    /// is `.unsupportedEncryptionMode`).
    public init(keyID: String, data: String, mode: Int? = nil) throws(CardError) {
        self.keyID = try KeyID(keyID)
        let maximumLength = (Self.maximumCiphertextCount * 4 + 2) / 3
        guard data.utf8.count <= maximumLength,
            let bytes = Base64URL.decode(data), !bytes.isEmpty
        else { throw .invalidEncryptedData }
        ciphertext = bytes
        if let mode {
            guard let known = EncryptionMode(rawValue: mode) else {
                throw .unsupportedEncryptionMode
            }
            self.mode = known
        } else {
            self.mode = .standard
        }
    }

    /// Unpacks decrypted plaintext; any problem (non-UTF8, bad packing, bad PAN, bad date,
    /// bad cvv) -> `.invalidEncryptedData`, so the blob path exposes one error only.
    /// An expired date is not an error here; check it with `ExpirationDate.validated(at:)`.
    public static func cardData(
        fromDecrypted plaintext: some Sequence<UInt8>
    ) throws(CardError) -> CardData {
        let result: Result<CardData, CardError>? = plaintext.withContiguousStorageIfAvailable {
            buffer in
            Result { () throws(CardError) in try CardData(packedASCII: buffer) }
        }
        do {
            if let result { return try result.get() }
            return try CardData(packedASCII: Array(plaintext))
        } catch {
            throw .invalidEncryptedData
        }
    }
}

extension EncryptedCardData: CustomStringConvertible {
    public var description: String {
        "EncryptedCardData(keyID: \(keyID), mode: \(mode), \(ciphertext.count) bytes)"
    }
}
