import Foundation
import Testing
import TestSupport
import VaultCore
import VaultCrypto

@Suite("EncryptedCardData and KeyID", .ownThreads)
struct CardEncryptedDataTests {
    static let keyID = "TabaPay_AccountID_22ch"
    static let ciphertext = (0..<256).map { UInt8($0) }
    static let data = Base64URL.encode(ciphertext)

    @Test func parsesEnvelope() throws {
        let blob = try EncryptedCardData(keyID: Self.keyID, data: Self.data)
        #expect(blob.keyID.rawValue == Self.keyID)
        #expect(blob.ciphertext == Self.ciphertext)
        #expect(blob.mode == .oaepSHA256MGF1SHA256)
        #expect(EncryptionMode.standard == .oaepSHA256MGF1SHA256)
    }

    @Test(arguments: [(0, EncryptionMode.pkcs1v15), (1, .oaepSHA256MGF1SHA1), (2, .oaepSHA256MGF1SHA256)])
    func modes(_ raw: Int, _ mode: EncryptionMode) throws {
        #expect(try EncryptedCardData(keyID: Self.keyID, data: Self.data, mode: raw).mode == mode)
    }

    @Test(arguments: [-1, 3, 4, 100, Int.max, Int.min])
    func unsupportedModes(_ raw: Int) {
        #expect(throws: CardError.unsupportedEncryptionMode) {
            try EncryptedCardData(keyID: Self.keyID, data: Self.data, mode: raw)
        }
    }

    @Test(arguments: [
        "", "TabaPay_AccountID_22c", "TabaPay_AccountID_22ch_", "TabaPay+AccountID_22ch",
        "TabaPay/AccountID_22ch", "TabaPay AccountID_22ch", "TabaPay_AccountID_22c=",
        "TabaPay_AccountID_22c\n", "TabaPay_AccountID_22cé", "TabaPay_AccountID_22c\u{0}",
    ])
    func invalidKeyIDs(_ keyID: String) {
        #expect(throws: CardError.invalidKeyID) { try KeyID(keyID) }
        #expect(throws: CardError.invalidKeyID) { try EncryptedCardData(keyID: keyID, data: Self.data) }
    }

    @Test func keyIDChecksComeFirst() {
        #expect(throws: CardError.invalidKeyID) { try EncryptedCardData(keyID: "x", data: "", mode: 9) }
        #expect(throws: CardError.invalidEncryptedData) {
            try EncryptedCardData(keyID: Self.keyID, data: "", mode: 9)
        }
    }

    @Test(arguments: [
        "", "A", "AB", "Zg==", "Zg=", "Zm9v+A", "Zm9v/A", "Zm9v Zm9v", " Zm9v", "Zm9v\n", "Zh",
        "Zm9vYg==", "Zm9v!",
    ])
    func invalidData(_ data: String) {
        #expect(throws: CardError.invalidEncryptedData) {
            try EncryptedCardData(keyID: Self.keyID, data: data)
        }
    }

    @Test func ciphertextSizeLimit() throws {
        let largest = [UInt8](repeating: 7, count: EncryptedCardData.maximumCiphertextCount)
        #expect(try EncryptedCardData(keyID: Self.keyID, data: Base64URL.encode(largest)).ciphertext == largest)
        #expect(throws: CardError.invalidEncryptedData) {
            try EncryptedCardData(keyID: Self.keyID, data: Base64URL.encode(largest + [7]))
        }
    }

    @Test func keyIDCodableAndPrintable() throws {
        let keyID = try KeyID(Self.keyID)
        #expect("\(keyID)" == Self.keyID)
        let json = try JSONEncoder().encode([keyID])
        #expect(String(decoding: json, as: UTF8.self) == #"["TabaPay_AccountID_22ch"]"#)
        #expect(try JSONDecoder().decode([KeyID].self, from: json) == [keyID])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([KeyID].self, from: Data(#"["short"]"#.utf8))
        }
        #expect(KeyID(unchecked: Self.keyID) == keyID)
        #expect(try KeyID(Base64URL.encode([UInt8](repeating: 0xFF, count: 16))).rawValue == "_____________________w")
    }

    // MARK: cardData(fromDecrypted:)

    @Test func unpacksDecryptedPlaintext() throws {
        let packed = "4111111111111111|203001|123"
        let fromArray = try EncryptedCardData.cardData(fromDecrypted: Array(packed.utf8))
        #expect(fromArray.packed == packed)
        let fromData = try EncryptedCardData.cardData(fromDecrypted: Data(packed.utf8))
        #expect(fromData.packed == packed)
        let fromSlice = try EncryptedCardData.cardData(fromDecrypted: Array("xx\(packed)".utf8)[2...])
        #expect(fromSlice.packed == packed)
        let fromSequence = try EncryptedCardData.cardData(fromDecrypted: AnySequence(packed.utf8))
        #expect(fromSequence.packed == packed)
        let fromRawBuffer = try Array(packed.utf8).withUnsafeBytes { bytes throws(CardError) in
            try EncryptedCardData.cardData(fromDecrypted: bytes)
        }
        #expect(fromRawBuffer.packed == packed)
        let bare = try EncryptedCardData.cardData(fromDecrypted: Array("1111111111111117||".utf8))
        #expect(bare.expiration == nil && bare.securityCode == nil)
    }

    static let badPlaintexts: [[UInt8]] = [
        [],
        [0xFF, 0xFE],
        Array("4111111111111111|203001|".utf8) + [0xC3],  // truncated UTF-8
        [0xEF, 0xBB, 0xBF] + Array("4111111111111111|203001|".utf8),  // BOM
        Array("4111111111111111|203001|\u{0}".utf8),
        Array("4111111111111111|203001|123\n".utf8),
        Array("4111111111111111".utf8),
        Array("4111111111111111|203001".utf8),
        Array("4111111111111111|203001|123|".utf8),
        Array(" 4111111111111111|203001|".utf8),
        Array("|203001|".utf8),
        Array("4111111111111112|203001|".utf8),
        Array("41111111111|203001|".utf8),
        Array("4111111111111111|203013|".utf8),
        Array("4111111111111111|2030|".utf8),
        Array("4111111111111111|203001|12".utf8),
        Array("4111111111111111|203001|12345".utf8),
        Array("4111111111111111|203001|abc".utf8),
    ]

    @Test(arguments: badPlaintexts)
    func everyUnpackingFailureIsOneError(_ plaintext: [UInt8]) {
        #expect(throws: CardError.invalidEncryptedData) {
            try EncryptedCardData.cardData(fromDecrypted: plaintext)
        }
        #expect(throws: CardError.invalidEncryptedData) {
            try EncryptedCardData.cardData(fromDecrypted: AnySequence(plaintext))
        }
    }

    @Test func descriptionShowsNoCiphertext() throws {
        let blob = try EncryptedCardData(keyID: Self.keyID, data: Self.data)
        #expect(!"\(blob)".contains(Self.data.prefix(8)))
    }
}
