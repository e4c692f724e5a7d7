import Foundation
import Testing
import TestSupport
import VaultCrypto

@Suite("Base64URL", .ownThreads)
struct Base64URLTests {
    /// RFC 4648 §10 test vectors, without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(_ plain: String, _ encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func urlSafeAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64URL.encode([0xFF, 0xFF, 0xFF]) == "____")
        #expect(Base64URL.encode([0xFB, 0xEF, 0xBE]) == "----")
        #expect(Base64URL.encode(Data([0x00])) == "AA")
    }

    @Test(arguments: [
        "Zg==", "Zg=", "Zm8=", "Zm9vYg==", "=", "====",  // padding
        "+_8", "-/8", "ab+c", "ab/c",  // standard alphabet
        " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\n", "\tZm9v",  // whitespace
        "Zm9v.", "Zm9v!", "Zm9vé", "Ｚｍ９ｖ", "Zm9v\u{0}",  // other characters
        "Z", "Zm9vY", "AAAAA",  // length ≡ 1 (mod 4)
        "AB", "Zh", "Zm9", "AAB", "Zm9vYh", "Zm9vYmF",  // non-canonical trailing bits
    ])
    func rejects(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
        #expect(Base64URL.decode(SecretBytes(text.utf8)) == nil, "the decoder into wiped storage is as strict")
    }

    @Test func canonicalTails() {
        #expect(Base64URL.decode("AA") == [0])
        #expect(Base64URL.decode("AAA") == [0, 0])
        #expect(Base64URL.decode("AQ") == [1])
        #expect(Base64URL.decode("AAE") == [0, 1])
        #expect(Base64URL.decode("AAF") == nil)  // low unused bit set
        #expect(Base64URL.decode("AAG") == nil)  // high unused bit set
        #expect(Base64URL.decode("AR") == nil)  // unused bits 0001
        #expect(Base64URL.decode("AY") == nil)  // unused bits 1000
    }

    /// Both ways in: contiguous bytes (written straight into the string) and any other sequence.
    @Test func randomRoundTripsAgreeWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<200 {
            let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            let reference = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(encoded == reference)
            #expect(Base64URL.encode(bytes.lazy.map { $0 }) == reference)
            #expect(Base64URL.decode(encoded) == bytes)
            #expect(Base64URL.decode(SecretBytes(encoded.utf8)) == SecretBytes(bytes))
            #expect(!encoded.contains("="))
        }
    }

    @Test func everyTwoCharacterStringHasOneMeaning() {
        // Exhaustive over 2-character inputs: exactly 64 × 4 decode (canonical tails).
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var accepted = 0
        for first in alphabet {
            for second in alphabet {
                if let bytes = Base64URL.decode(String([first, second])) {
                    accepted += 1
                    #expect(Base64URL.encode(bytes) == String([first, second]))
                }
            }
        }
        #expect(accepted == 256)
    }

    @Test func encodesNonArraySequences() {
        #expect(Base64URL.encode("foobar".utf8) == "Zm9vYmFy")
        #expect(Base64URL.encode(AnySequence([0xFB, 0xFF] as [UInt8])) == "-_8")
        #expect(Base64URL.encode(stride(from: 0, to: 3, by: 1).lazy.map { UInt8($0) }) == "AAEC")
    }
}
