import Testing
import TestSupport
import VaultCrypto

/// One AES-256 known-answer case from McGrew & Viega, "The Galois/Counter Mode of Operation
/// (GCM)", the test vectors NIST SP 800-38D refers to.
struct GCMVector: Sendable, CustomTestStringConvertible {
    let name: String
    let key: [UInt8], iv: [UInt8], plaintext: [UInt8], aad: [UInt8], ciphertext: [UInt8], tag: [UInt8]
    var testDescription: String { name }
}

let gcmSpecVectors: [GCMVector] = [
    GCMVector(
        name: "test case 13 (empty)",
        key: [UInt8](hex: "0000000000000000000000000000000000000000000000000000000000000000"),
        iv: [UInt8](hex: "000000000000000000000000"),
        plaintext: [],
        aad: [],
        ciphertext: [],
        tag: [UInt8](hex: "530f8afbc74536b9a963b4f1c4cb738b")),
    GCMVector(
        name: "test case 14 (one zero block)",
        key: [UInt8](hex: "0000000000000000000000000000000000000000000000000000000000000000"),
        iv: [UInt8](hex: "000000000000000000000000"),
        plaintext: [UInt8](hex: "00000000000000000000000000000000"),
        aad: [],
        ciphertext: [UInt8](hex: "cea7403d4d606b6e074ec5d3baf39d18"),
        tag: [UInt8](hex: "d0d1c8a799996bf0265b98b5d48ab919")),
    GCMVector(
        name: "test case 15 (64-byte plaintext, no AAD)",
        key: [UInt8](hex: "feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308"),
        iv: [UInt8](hex: "cafebabefacedbaddecaf888"),
        plaintext: [UInt8](hex: """
            d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
            1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b391aafd255
            """),
        aad: [],
        ciphertext: [UInt8](hex: """
            522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
            8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662898015ad
            """),
        tag: [UInt8](hex: "b094dac5d93471bdec1a502270e3cc6c")),
    GCMVector(
        name: "test case 16 (60-byte plaintext, 20-byte AAD)",
        key: [UInt8](hex: "feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308"),
        iv: [UInt8](hex: "cafebabefacedbaddecaf888"),
        plaintext: [UInt8](hex: """
            d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
            1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b39
            """),
        aad: [UInt8](hex: "feedfacedeadbeeffeedfacedeadbeef abaddad2"),
        ciphertext: [UInt8](hex: """
            522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
            8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662
            """),
        tag: [UInt8](hex: "76fc6ece0f4e1768cddf8853bb2d551b")),
]

@Suite("AES-256-GCM", .ownThreads)
struct AESGCMTests {
    let key = SymmetricKey.generate()
    let aad: [UInt8] = Array("tenant|token|v1".utf8)
    let plaintext: [UInt8] = Array("4111111111111111|203001|".utf8)

    @Test("GCM spec known answers: seal", arguments: gcmSpecVectors)
    func sealMatchesKnownAnswer(_ vector: GCMVector) throws {
        let key = try SymmetricKey(SecretBytes(vector.key))
        let box = try AESGCM.seal(vector.plaintext, using: key, nonce: vector.iv, authenticating: vector.aad)
        #expect(box.nonce == vector.iv)
        #expect(box.ciphertext.hex == vector.ciphertext.hex)
        #expect(box.tag.hex == vector.tag.hex)
        #expect(box.combined == vector.iv + vector.ciphertext + vector.tag)
    }

    @Test("GCM spec known answers: open", arguments: gcmSpecVectors)
    func openMatchesKnownAnswer(_ vector: GCMVector) throws {
        let key = try SymmetricKey(SecretBytes(vector.key))
        let box = try AESGCMSealedBox(nonce: vector.iv, ciphertext: vector.ciphertext, tag: vector.tag)
        let opened = try AESGCM.open(box, using: key, authenticating: vector.aad)
        #expect(opened.bytes == vector.plaintext)
    }

    @Test("GCM spec known answers: a flipped tag bit fails", arguments: gcmSpecVectors)
    func flippedTagBitFails(_ vector: GCMVector) throws {
        let key = try SymmetricKey(SecretBytes(vector.key))
        for bit in [0, 7, 64, 127] {
            var tag = vector.tag
            tag[bit / 8] ^= UInt8(1) << (bit % 8)
            let box = try AESGCMSealedBox(nonce: vector.iv, ciphertext: vector.ciphertext, tag: tag)
            #expect(throws: CryptoError.authenticationFailure) {
                try AESGCM.open(box, using: key, authenticating: vector.aad)
            }
        }
    }

    @Test func roundTripWithRandomNonce() throws {
        let box = try AESGCM.seal(plaintext, using: key, authenticating: aad)
        #expect(box.nonce.count == AESGCMSealedBox.nonceSize)
        #expect(box.tag.count == AESGCMSealedBox.tagSize)
        #expect(box.ciphertext.count == plaintext.count)
        #expect(box.ciphertext != plaintext)
        #expect(try AESGCM.open(box, using: key, authenticating: aad).bytes == plaintext)
    }

    @Test func eachSealDrawsAFreshNonce() throws {
        let boxes = try (0..<64).map { _ in try AESGCM.seal(plaintext, using: key) }
        #expect(Set(boxes.map(\.nonce)).count == boxes.count)
        #expect(Set(boxes.map(\.ciphertext)).count == boxes.count)
    }

    @Test func secretPlaintextSealsLikeAnArray() throws {
        let nonce = SecureRandom.bytes(count: 12)
        let fromArray = try AESGCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
        let fromSecret = try AESGCM.seal(SecretBytes(plaintext), using: key, nonce: nonce, authenticating: aad)
        #expect(fromArray == fromSecret)
    }

    @Test func combinedRoundTrip() throws {
        let box = try AESGCM.seal(plaintext, using: key, authenticating: aad)
        let combined = box.combined
        #expect(combined.count == 12 + plaintext.count + 16)
        let parsed = try AESGCMSealedBox(combined: combined)
        #expect(parsed == box)
        #expect(try AESGCM.open(parsed, using: key, authenticating: aad).bytes == plaintext)
        // Empty plaintext: nonce and tag only.
        let empty = try AESGCM.seal([], using: key)
        #expect(try AESGCMSealedBox(combined: empty.combined).ciphertext.isEmpty)
        #expect(try AESGCM.open(AESGCMSealedBox(combined: empty.combined), using: key).count == 0)
    }

    @Test func largePlaintextRoundTrip() throws {
        let large = SecureRandom.bytes(count: 1 << 20)
        let box = try AESGCM.seal(large, using: key, authenticating: aad)
        #expect(try AESGCM.open(box, using: key, authenticating: aad).bytes == large)
    }

    @Test func wrongKeyFails() throws {
        let box = try AESGCM.seal(plaintext, using: key, authenticating: aad)
        #expect(throws: CryptoError.authenticationFailure) {
            try AESGCM.open(box, using: .generate(), authenticating: aad)
        }
    }

    @Test func wrongNonceFails() throws {
        let box = try AESGCM.seal(plaintext, using: key, authenticating: aad)
        var nonce = box.nonce
        nonce[0] ^= 1
        let moved = try AESGCMSealedBox(nonce: nonce, ciphertext: box.ciphertext, tag: box.tag)
        #expect(throws: CryptoError.authenticationFailure) { try AESGCM.open(moved, using: key, authenticating: aad) }
    }

    @Test func wrongAADFails() throws {
        let box = try AESGCM.seal(plaintext, using: key, authenticating: aad)
        #expect(throws: CryptoError.authenticationFailure) {
            try AESGCM.open(box, using: key, authenticating: Array("tenant|other|v1".utf8))
        }
        #expect(throws: CryptoError.authenticationFailure) { try AESGCM.open(box, using: key) }
    }

    @Test func tamperedCiphertextFails() throws {
        let box = try AESGCM.seal(plaintext, using: key, authenticating: aad)
        for index in [0, plaintext.count / 2, plaintext.count - 1] {
            var ciphertext = box.ciphertext
            ciphertext[index] ^= 0x80
            let tampered = try AESGCMSealedBox(nonce: box.nonce, ciphertext: ciphertext, tag: box.tag)
            #expect(throws: CryptoError.authenticationFailure) { try AESGCM.open(tampered, using: key, authenticating: aad) }
        }
        let truncated = try AESGCMSealedBox(nonce: box.nonce, ciphertext: Array(box.ciphertext.dropLast()), tag: box.tag)
        #expect(throws: CryptoError.authenticationFailure) { try AESGCM.open(truncated, using: key, authenticating: aad) }
        let extended = try AESGCMSealedBox(nonce: box.nonce, ciphertext: box.ciphertext + [0], tag: box.tag)
        #expect(throws: CryptoError.authenticationFailure) { try AESGCM.open(extended, using: key, authenticating: aad) }
    }

    @Test func invalidSizesAreRefused() throws {
        for count in [0, 16, 24, 31, 33, 64] {
            #expect(throws: CryptoError.invalidKeySize) { try SymmetricKey(SecureRandom.secretBytes(count: count)) }
        }
        for count in [0, 8, 11, 13, 16] {
            #expect(throws: CryptoError.invalidNonceSize) {
                try AESGCM.seal(plaintext, using: key, nonce: SecureRandom.bytes(count: count))
            }
            #expect(throws: CryptoError.invalidNonceSize) {
                try AESGCMSealedBox(nonce: SecureRandom.bytes(count: count), ciphertext: [], tag: [UInt8](repeating: 0, count: 16))
            }
        }
        for count in [0, 4, 12, 15, 17] {
            #expect(throws: CryptoError.invalidTagSize) {
                try AESGCMSealedBox(nonce: [UInt8](repeating: 0, count: 12), ciphertext: [], tag: SecureRandom.bytes(count: count))
            }
        }
        for count in [0, 1, 12, 27] {
            #expect(throws: CryptoError.invalidCiphertext) { try AESGCMSealedBox(combined: [UInt8](repeating: 0, count: count)) }
        }
        #expect(throws: Never.self) { try AESGCMSealedBox(combined: [UInt8](repeating: 0, count: 28)) }
    }

    @Test func concurrentSealAndOpen() async throws {
        let key = self.key, plaintext = self.plaintext
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let aad = Array("row-\(worker)".utf8)
                    for _ in 0..<2_000 {
                        let box = try AESGCM.seal(plaintext, using: key, authenticating: aad)
                        guard try AESGCM.open(box, using: key, authenticating: aad).bytes == plaintext else { return false }
                    }
                    return true
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }
}
