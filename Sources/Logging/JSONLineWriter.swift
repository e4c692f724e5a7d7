#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A hand-written JSON writer for one log line: appends UTF-8 bytes to a buffer, with no
/// Foundation, no intermediate `String`s for integers, and object keys in sorted order so a line
/// is a pure function of its inputs.
struct JSONLineWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Strings

    /// A JSON string: `"` and `\` escaped, control characters (U+0000–U+001F) and DEL escaped as
    /// `\b \f \n \r \t` or `\u00XX`. Everything else — including non-ASCII — is copied as UTF-8,
    /// which Swift strings always hold valid. No raw newline can reach the output.
    mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var clean = 0  // start of the bytes not yet copied
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F else {
                    continue
                }
                if clean < index {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<index]))
                }
                appendEscape(byte)
                clean = index + 1
            }
            if clean < utf8.count {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            bytes.append(UInt8(ascii: "u"))
            bytes.append(UInt8(ascii: "0"))
            bytes.append(UInt8(ascii: "0"))
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0x0F)])
        }
    }

    // MARK: Numbers

    /// A JSON integer, or the string `"[REDACTED]"` when it has 12 or more digits: such a
    /// number could be a PAN, and replacing a bare number by `[REDACTED]` later, at line level,
    /// would break the JSON.
    mutating func writeInt(_ value: Int) {
        let magnitude = value.magnitude
        if magnitude >= 100_000_000_000 {
            writeString(Redactor.replacement)
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        Self.appendInteger(magnitude, to: &bytes)
    }

    static func appendInteger(_ value: UInt, to bytes: inout [UInt8]) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max (20 digits)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            var rest = value
            while rest > 0 {
                position -= 1
                let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: 10)
                buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder)
                rest = quotient
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// A JSON number in its shortest round-trip form (`0.25`, `1e-05`, `3.0`). When that form
    /// would hold a run of 12+ digits (`0.30000000000000004`, a PAN stored in a `Double`) the value
    /// is rounded to 8 significant digits if it is below 1e11 (a long fraction is noise in a
    /// log), else written as the string `"[REDACTED]"`. Non-finite values become the strings `"NaN"`,
    /// `"Infinity"` and `"-Infinity"`.
    mutating func writeDouble(_ value: Double) {
        guard value.isFinite else {
            writeString(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity")
            return
        }
        let shortest = value.description
        if !Redactor.containsDigitRun(shortest) {
            bytes.append(contentsOf: shortest.utf8)
            return
        }
        if value.magnitude < 1e11, let rounded = Self.eightSignificantDigits(value),
            !Redactor.containsDigitRun(rounded)
        {
            bytes.append(contentsOf: rounded.utf8)
            return
        }
        writeString(Redactor.replacement)
    }

    /// `value` rounded to 8 significant digits, in shortest round-trip form: `0.3`, `0.66666667`,
    /// `0.00012345679`. A decimal with 8 significant digits has a shortest form of at most 8
    /// digits, so no run reaches 12. Pure arithmetic on exact powers of ten — no `printf`, whose
    /// decimal point would follow the C locale. `nil` when the scale is not an exact power of ten
    /// (magnitudes below about 1e-15): the caller then redacts.
    static func eightSignificantDigits(_ value: Double) -> String? {
        guard value != 0 else { return value.description }
        let exponent = Int(log10(value.magnitude).rounded(.down))
        let shift = 7 - exponent
        let rounded: Double
        if shift >= 0 {
            guard shift < exactPowersOfTen.count else { return nil }
            rounded = (value * exactPowersOfTen[shift]).rounded() / exactPowersOfTen[shift]
        } else {
            guard -shift < exactPowersOfTen.count else { return nil }
            rounded = (value / exactPowersOfTen[-shift]).rounded() * exactPowersOfTen[-shift]
        }
        return rounded.description
    }

    /// 1e0 … 1e22, every one exactly representable as a `Double`.
    private static let exactPowersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { product, _ in product * 10 }
    }

    // MARK: Values

    mutating func writeValue(_ value: LogValue) {
        switch value {
        case .string(let string): writeString(string)
        case .int(let int): writeInt(int)
        case .double(let double): writeDouble(double)
        case .bool(let bool): bytes.append(contentsOf: bool ? Self.trueBytes : Self.falseBytes)
        case .null: bytes.append(contentsOf: Self.nullBytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                writeValue(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .dictionary(let dictionary):
            bytes.append(UInt8(ascii: "{"))
            for (offset, member) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                writeMember(member.key, member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// `"key":value`, without the comma.
    mutating func writeMember(_ key: String, _ value: LogValue) {
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        writeValue(value)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)
    private static let nullBytes: [UInt8] = Array("null".utf8)
}
