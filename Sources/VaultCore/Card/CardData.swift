/// Card data in TabaPay packing, `CardNumber|ExpirationDate|SecurityCode`, the plaintext inside
/// an encrypted card blob. Optional parts are empty but both pipes are always present:
/// `4111111111111111|203001|`, `4111111111111111||`, `4111111111111111|203001|123`.
///
/// Holds a PAN and maybe a security code, so it prints and reflects masked like they do.
public struct CardData: Sendable {
    public var number: PrimaryAccountNumber
    public var expiration: ExpirationDate?
    public var securityCode: SecurityCode?

    public init(
        number: PrimaryAccountNumber,
        expiration: ExpirationDate? = nil,
        securityCode: SecurityCode? = nil
    ) {
        self.number = number
        self.expiration = expiration
        self.securityCode = securityCode
    }

    /// Parses the packing strictly and reports the specific problem.
    ///
    /// The packing is printable ASCII with exactly two `|`: a missing or extra pipe, or any
    /// whitespace, control or non-ASCII byte anywhere (including a trailing newline) is
    /// `.malformedCardData`. Each field is then validated by its own type, so an empty or bad
    /// number, a bad date or a bad code gives `.invalidCardNumber`/`.luhnCheckFailed`,
    /// `.invalidExpirationDate` or `.invalidSecurityCode`. An expired date is accepted here:
    /// expiry is a policy question for `ExpirationDate.validated(at:)`.
    public init(packed: String) throws(CardError) {
        try self.init(packedASCII: packed.utf8)
    }

    init<Bytes: Collection<UInt8>>(packedASCII bytes: Bytes) throws(CardError) {
        let pipe: UInt8 = 0x7C
        var first: Bytes.Index?
        var second: Bytes.Index?
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard byte > 0x20 && byte < 0x7F else { throw .malformedCardData }
            if byte == pipe {
                if first == nil {
                    first = index
                } else if second == nil {
                    second = index
                } else {
                    throw .malformedCardData
                }
            }
            bytes.formIndex(after: &index)
        }
        guard let first, let second else { throw .malformedCardData }

        let numberField = bytes[bytes.startIndex..<first]
        let dateField = bytes[bytes.index(after: first)..<second]
        let codeField = bytes[bytes.index(after: second)...]

        number = try PrimaryAccountNumber(ascii: numberField)
        expiration = dateField.isEmpty ? nil : try ExpirationDate(ascii: dateField)
        securityCode = codeField.isEmpty ? nil : try SecurityCode(ascii: codeField)
    }

    /// The packed form. Contains the full PAN: secret.
    public var packed: String {
        number.digits + "|" + (expiration?.yyyymm ?? "") + "|" + (securityCode?.digits ?? "")
    }
}

extension CardData: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Masked, e.g. `CardData(PAN(visa ••••1111), expiration: present, securityCode: absent)`.
    public var description: String {
        "CardData(\(number), expiration: \(expiration == nil ? "absent" : "present"), "
            + "securityCode: \(securityCode == nil ? "absent" : "present"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "number": number,
                "hasExpiration": expiration != nil,
                "hasSecurityCode": securityCode != nil,
            ],
            displayStyle: .struct)
    }
}
