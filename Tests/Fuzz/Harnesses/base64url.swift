// Target `base64url`: the strict Base64URL codec (VaultCrypto).
//
// Properties, for the input read as text: it decodes exactly when a plain re-statement of the
// grammar accepts it (alphabet `A–Z a–z 0–9 - _`, no padding, length ≢ 1 mod 4, unused bits zero);
// what it decodes to is what Foundation's Base64 decodes from the same text in the standard
// alphabet with padding; the text is the one encoding of those bytes (`encode(decode(s)) == s`);
// the decoder into wiped storage agrees with the plain one. For the input read as bytes:
// `decode(encode(b)) == b`, and the encoding has the expected length and alphabet.
import Foundation
import VaultCrypto

private let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

/// The grammar, restated without the decoder's arithmetic.
private func isStrictBase64URL(_ text: [UInt8]) -> Bool {
    guard text.count % 4 != 1, text.allSatisfy(alphabet.contains) else { return false }
    guard let last = text.last, text.count % 4 != 0 else { return true }
    let value = alphabet.firstIndex(of: last)!
    // The last character of a 2- or 3-character group carries 4 or 2 unused low bits.
    return text.count % 4 == 2 ? value & 0xF == 0 : value & 0x3 == 0
}

/// Foundation's reading of the same text, translated to the standard alphabet and padded.
private func foundationDecode(_ text: [UInt8]) -> [UInt8]? {
    var standard = text.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "+") : $0 == UInt8(ascii: "_") ? UInt8(ascii: "/") : $0 }
    standard += Array(repeating: UInt8(ascii: "="), count: (4 - standard.count % 4) % 4)
    return Data(base64Encoded: Data(standard)).map { Array($0) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBase64URL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)

    let text = input.text
    let decoded = Base64URL.decode(text)
    let textBytes = Array(text.utf8)
    fuzzCheck((decoded != nil) == isStrictBase64URL(textBytes), "decode accepts exactly the strict grammar")
    fuzzCheck(Base64URL.decode(SecretBytes(textBytes))?.bytes == decoded, "the secret decoder agrees")
    if let decoded {
        fuzzCheck(Base64URL.encode(decoded) == text, "encode(decode(s)) == s")
        fuzzCheck(foundationDecode(textBytes) == decoded, "Foundation decodes the same bytes")
    }

    let encoded = Base64URL.encode(input.bytes)
    fuzzCheck(encoded.utf8.count == (input.bytes.count * 4 + 2) / 3, "an encoding has no padding")
    fuzzCheck(encoded.utf8.allSatisfy(alphabet.contains), "an encoding uses the URL alphabet")
    fuzzCheck(Base64URL.decode(encoded) == input.bytes, "decode(encode(b)) == b")
    return 0
}
