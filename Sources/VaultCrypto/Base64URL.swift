/// Base64URL (RFC 4648 §5), strict, for identifiers, tokens, keys, ciphertexts and JWT segments.
///
/// Strict so that every byte string has exactly one accepted text form: `encode` never pads,
/// and `decode` refuses padding `=`, whitespace, characters outside `A–Z a–z 0–9 - _`
/// (so also `+` and `/`), a length ≡ 1 (mod 4), and non-zero unused trailing bits.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes `bytes` without padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(contiguous: $0) }) { return encoded }
        return Array(bytes).withUnsafeBufferPointer { encode(contiguous: $0) }
    }

    /// Writes the characters straight into the string's storage: no per-byte appends, one
    /// allocation (a request ID is encoded on every request).
    private static func encode(contiguous bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = (bytes.count * 4 + 2) / 3
        return alphabet.withUnsafeBufferPointer { alphabet in
            String(unsafeUninitializedCapacity: count) { output in
                var position = 0
                for start in stride(from: 0, to: bytes.count, by: 3) {
                    // 24 bits, zero-filled past the end: 4 characters, or 2–3 for the last group.
                    var group = UInt32(bytes[start]) << 16
                    if start + 1 < bytes.count { group |= UInt32(bytes[start + 1]) << 8 }
                    if start + 2 < bytes.count { group |= UInt32(bytes[start + 2]) }
                    for shift in stride(from: 18, through: 0, by: -6) where position < count {
                        output[position] = alphabet[Int(group >> UInt32(shift) & 0x3F)]
                        position += 1
                    }
                }
                return count
            }
        }
    }

    /// Decodes strict unpadded Base64URL, or returns `nil`. The empty string decodes to `[]`.
    public static func decode(_ string: String) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count * 3 / 4)
        return decode(string.utf8) { output.append($0) } ? output : nil
    }

    /// Decodes secret text (a key's text form) straight into wiped storage, so the key never
    /// passes through an ordinary array; nil unless `text` is strict unpadded Base64URL.
    public static func decode(_ text: SecretBytes) -> SecretBytes? {
        text.withUnsafeBytes { input in
            try? SecretBytes(capacity: input.count * 3 / 4) { (output) throws(Malformed) -> Int in
                var count = 0
                guard decode(input, emit: { output[count] = $0; count += 1 }) else { throw Malformed() }
                return count
            }
        }
    }

    private struct Malformed: Error {}

    /// The strict decoder behind both: hands each decoded byte to `emit`; false on any violation.
    private static func decode(_ input: some Collection<UInt8>, emit: (UInt8) -> Void) -> Bool {
        guard input.count % 4 != 1 else { return false }
        var accumulator: UInt32 = 0
        var pending = 0
        for byte in input {
            guard let value = sextet(byte) else { return false }
            accumulator = accumulator << 6 | UInt32(value)
            pending += 1
            if pending == 4 {
                emit(UInt8(truncatingIfNeeded: accumulator >> 16))
                emit(UInt8(truncatingIfNeeded: accumulator >> 8))
                emit(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                pending = 0
            }
        }
        switch pending {
        case 2:  // 12 bits: one byte and 4 unused bits, which must be zero
            guard accumulator & 0xF == 0 else { return false }
            emit(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:  // 18 bits: two bytes and 2 unused bits, which must be zero
            guard accumulator & 0x3 == 0 else { return false }
            emit(UInt8(truncatingIfNeeded: accumulator >> 10))
            emit(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            break
        }
        return true
    }

    /// Whether `byte` is one of the 64 Base64URL characters.
    public static func isAlphabetByte(_ byte: UInt8) -> Bool { sextet(byte) != nil }

    @inline(__always)
    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte &- UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte &- UInt8(ascii: "a") &+ 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0") &+ 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
