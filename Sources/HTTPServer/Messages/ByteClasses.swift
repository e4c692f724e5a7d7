/// ASCII constants and byte classification for the parser.
///
/// One 256-entry table of bit flags answers "is this byte a tchar / target byte / field-vchar
/// / …" with a single load, which keeps the per-byte loops free of chains of comparisons.
package enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    package static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let percent: UInt8 = 0x25
    static let star: UInt8 = 0x2A
    static let comma: UInt8 = 0x2C
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    package static let zero: UInt8 = 0x30
    package static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let question: UInt8 = 0x3F
    static let at: UInt8 = 0x40
    static let backslash: UInt8 = 0x5C

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte &- 0x30)
        case 0x41...0x46: Int(byte &- 0x41 &+ 10)
        case 0x61...0x66: Int(byte &- 0x61 &+ 10)
        default: nil
        }
    }
}

package enum ByteClass {
    /// RFC 9110 §5.6.2 tchar.
    package static let token: UInt8 = 1 << 0
    /// Bytes allowed in a request target: visible ASCII except '#' (a fragment is never sent).
    static let target: UInt8 = 1 << 1
    /// RFC 9110 §5.5 field-vchar plus SP and HTAB: what may appear inside a field value.
    package static let fieldValue: UInt8 = 1 << 2
    /// RFC 3986 authority bytes without '@': unreserved, sub-delims, ':', '[', ']', '%'.
    static let authority: UInt8 = 1 << 3
    /// RFC 9110 §5.6.4 qdtext.
    static let quotedText: UInt8 = 1 << 4
    /// Visible ASCII (VCHAR).
    static let visible: UInt8 = 1 << 5

    package static let table: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        for byte in 0..<256 {
            var flags: UInt8 = 0
            let isAlpha = (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            let isDigit = (0x30...0x39).contains(byte)
            let isVisible = (0x21...0x7E).contains(byte)
            if isAlpha || isDigit || "!#$%&'*+-.^_`|~".utf8.contains(UInt8(byte)) {
                flags |= token
            }
            if isVisible && byte != 0x23 {
                flags |= target
            }
            if isVisible || byte >= 0x80 || byte == 0x20 || byte == 0x09 {
                flags |= fieldValue
            }
            if isAlpha || isDigit || "-._~!$&'()*+,;=:[]%".utf8.contains(UInt8(byte)) {
                flags |= authority
            }
            if byte == 0x09 || byte == 0x20 || byte == 0x21 || (0x23...0x5B).contains(byte)
                || (0x5D...0x7E).contains(byte) || byte >= 0x80
            {
                flags |= quotedText
            }
            if isVisible {
                flags |= visible
            }
            table[byte] = flags
        }
        return table
    }()

    /// For code outside the hot loops. Loops copy `table` into a local first: every access to
    /// a lazily initialized global goes through `swift_once`, which would dominate a per-byte
    /// loop.
    static func isToken(_ byte: UInt8) -> Bool { table[Int(byte)] & token != 0 }

    static func `is`(_ byte: UInt8, _ flag: UInt8) -> Bool { table[Int(byte)] & flag != 0 }
}
