import Testing
import TestSupport
import VaultCrypto

/// One HMAC-SHA256 case from RFC 4231 section 4.
struct HMACVector: Sendable, CustomTestStringConvertible {
    let number: Int
    let key: [UInt8], data: [UInt8], mac: [UInt8]
    var testDescription: String { "RFC 4231 test case \(number)" }
}

let rfc4231Vectors: [HMACVector] = [
    HMACVector(number: 1,
               key: [UInt8](repeating: 0x0b, count: 20),
               data: Array("Hi There".utf8),
               mac: [UInt8](hex: "b0344c61d8db38535ca8afceaf0bf12b 881dc200c9833da726e9376c2e32cff7")),
    HMACVector(number: 2,
               key: Array("Jefe".utf8),
               data: Array("what do ya want for nothing?".utf8),
               mac: [UInt8](hex: "5bdcc146bf60754e6a042426089575c7 5a003f089d2739839dec58b964ec3843")),
    HMACVector(number: 3,
               key: [UInt8](repeating: 0xaa, count: 20),
               data: [UInt8](repeating: 0xdd, count: 50),
               mac: [UInt8](hex: "773ea91e36800e46854db8ebd09181a7 2959098b3ef8c122d9635514ced565fe")),
    HMACVector(number: 4,
               key: [UInt8](hex: "0102030405060708090a0b0c0d0e0f10111213141516171819"),
               data: [UInt8](repeating: 0xcd, count: 50),
               mac: [UInt8](hex: "82558a389a443c0ea4cc819899f2083a 85f0faa3e578f8077a2e3ff46729665b")),
    // Test case 5 gives only the first 128 bits.
    HMACVector(number: 5,
               key: [UInt8](repeating: 0x0c, count: 20),
               data: Array("Test With Truncation".utf8),
               mac: [UInt8](hex: "a3b6167473100ee06e0c796c2955552b")),
    HMACVector(number: 6,
               key: [UInt8](repeating: 0xaa, count: 131),
               data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               mac: [UInt8](hex: "60e431591ee0b67f0d8a26aacbf5b77f 8e0bc6213728c5140546040f0ee37f54")),
    HMACVector(number: 7,
               key: [UInt8](repeating: 0xaa, count: 131),
               data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                   + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
               mac: [UInt8](hex: "9b09ffa71b942fcb27635fbcd5b0e944 bfdc63644f0713938a7f51535c3a35e2")),
]

@Suite("HMAC-SHA256", .ownThreads)
struct HMACSHA256Tests {
    @Test("RFC 4231 known answers", arguments: rfc4231Vectors)
    func knownAnswer(_ vector: HMACVector) {
        let code = HMACSHA256.authenticationCode(for: vector.data, using: vector.key)
        #expect(code.count == HMACSHA256.byteCount)
        #expect(Array(code.prefix(vector.mac.count)).hex == vector.mac.hex)
        // The secret-key and secret-message forms agree.
        #expect(HMACSHA256.authenticationCode(for: vector.data, using: SecretBytes(vector.key)) == code)
        #expect(HMACSHA256.authenticationCode(for: SecretBytes(vector.data), using: SecretBytes(vector.key)) == code)
    }

    @Test func symmetricKeyFormsAgreeWithRawKey() throws {
        let key = SymmetricKey.generate()
        let message = Array("4111111111111111".utf8)
        let expected = HMACSHA256.authenticationCode(for: message, using: key.secret.bytes)
        #expect(HMACSHA256.authenticationCode(for: message, using: key) == expected)
        #expect(HMACSHA256.authenticationCode(for: SecretBytes(message), using: key) == expected)
        #expect(HMACSHA256.authenticationCode(for: "4111111111111111".utf8, using: key) == expected)
        #expect(HMACSHA256.authenticationCode(for: message[...], using: key) == expected)
        // Different key or message, different code.
        #expect(HMACSHA256.authenticationCode(for: message, using: SymmetricKey.generate()) != expected)
        #expect(HMACSHA256.authenticationCode(for: Array("4111111111111112".utf8), using: key) != expected)
    }

    /// RFC 5869 test case 1's expand step (PRK and info as given there): one block is the first
    /// 32 bytes of its OKM. The second vector was computed with Python's `cryptography`
    /// (`HKDFExpand(SHA256(), 32, b"coffer-idempotency-key-v1").derive(bytes(range(32)))`).
    @Test func derivedKeyIsHKDFExpandWithOneBlock() throws {
        let prk = try SymmetricKey(SecretBytes([UInt8](hex: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")))
        let okm = HMACSHA256.derivedKey(from: prk, info: [UInt8](hex: "f0f1f2f3f4f5f6f7f8f9"))
        #expect(okm.secret.bytes.hex == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf")
        let key = try SymmetricKey(SecretBytes((0..<32).map { UInt8($0) }))
        #expect(HMACSHA256.derivedKey(from: key, info: "coffer-idempotency-key-v1".utf8).secret.bytes.hex
                == "d7c0ca30c7407fcce33171677b0fb3eaca490bffb7c1f2d7a7ab4fd53586005f")
        #expect(HMACSHA256.derivedKey(from: key, info: "coffer-idempotency-key-v2".utf8) != HMACSHA256.derivedKey(
            from: key, info: "coffer-idempotency-key-v1".utf8))
    }

    @Test func emptyKeyAndMessage() {
        // HMAC-SHA256("", ""), as computed by Python's hmac module.
        let expected = [UInt8](hex: "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        #expect(HMACSHA256.authenticationCode(for: [], using: [UInt8]()) == expected)
        // An empty key after a non-empty one on the same thread is still the empty key.
        _ = HMACSHA256.authenticationCode(for: [1, 2, 3], using: [UInt8](repeating: 7, count: 32))
        #expect(HMACSHA256.authenticationCode(for: [], using: SecretBytes([])) == expected)
    }

    @Test func validation() {
        let key = SymmetricKey.generate()
        let message = Array("tenant-1|4111111111111111".utf8)
        let code = HMACSHA256.authenticationCode(for: message, using: key)
        #expect(HMACSHA256.isValidAuthenticationCode(code, for: message, using: key))
        var flipped = code
        flipped[31] ^= 1
        #expect(!HMACSHA256.isValidAuthenticationCode(flipped, for: message, using: key))
        #expect(!HMACSHA256.isValidAuthenticationCode(Array(code.prefix(16)), for: message, using: key))
        #expect(!HMACSHA256.isValidAuthenticationCode(code, for: message, using: .generate()))
    }

    @Test func concurrentCallersGetTheSameCodes() async {
        // Each thread keeps its own context; interleaved keys must never bleed into each other.
        let keys = (0..<4).map { _ in SymmetricKey.generate() }
        let messages = (0..<50).map { Array("message-\($0)".utf8) }
        let expected = keys.map { key in messages.map { HMACSHA256.authenticationCode(for: $0, using: key.secret.bytes) } }
        await withTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for round in 0..<100 {
                        let k = (worker + round) % keys.count
                        for (m, message) in messages.enumerated()
                        where HMACSHA256.authenticationCode(for: message, using: keys[k]) != expected[k][m] {
                            return false
                        }
                    }
                    return true
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
