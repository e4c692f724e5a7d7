import Testing
import TestSupport
import VaultCrypto

@Suite("SHA-256", .ownThreads)
struct SHA256Tests {
    // FIPS 180-2, appendix B.
    @Test func abc() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func emptyMessage() {
        #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func twoBlockMessage448Bits() {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(message.count * 8 == 448)
        #expect(SHA256.hash(message).hex == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func millionAs() {
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)).hex
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func overloadsAgree() {
        let expected = SHA256.hash(Array("abc".utf8))
        #expect(SHA256.hash("abc".utf8) == expected)
        #expect(SHA256.hash(SecretBytes(Array("abc".utf8))) == expected)
        #expect(SHA256.hash(AnySequence(Array("abc".utf8))) == expected)  // non-contiguous path
    }
}
