/// A card security code (CVV2/CVC2/CID): 3 or 4 ASCII digits.
///
/// It may live in memory only for a verification call and is never persisted (PCI DSS 3.3.1.2),
/// so the type is deliberately not `Codable`, and its description and reflection are fully
/// redacted, not even its length is shown.
public struct SecurityCode: Sendable {
    private let storage: String

    /// Validates `digits`: exactly 3 or 4 ASCII digits.
    public init(_ digits: String) throws(CardError) {
        guard Self.isValid(digits.utf8) else { throw .invalidSecurityCode }
        storage = digits
    }

    init<Bytes: Collection<UInt8>>(ascii bytes: Bytes) throws(CardError) {
        guard Self.isValid(bytes) else { throw .invalidSecurityCode }
        storage = String(decoding: bytes, as: UTF8.self)
    }

    /// The code itself, for a processor verification call. Secret: never log or store it.
    public var digits: String { storage }

    private static func isValid<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        (3...4).contains(bytes.count) && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

extension SecurityCode: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecurityCode(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
