// Target `card`: card numbers, expiration dates, card-data packing and encrypted card data
// (VaultCore).
//
// The whole input, and each of its lines, is tried as a PAN, a `YYYYMM` date, a packed
// `number|date|code` and a decrypted card blob; the first three lines as an encrypted-card
// envelope `keyID`, `data`, `mode`; eight bytes as a clock for expiry. Each answer is compared
// with a plain re-statement of the rule (Luhn computed right to left, the packing's grammar, the
// envelope's order of checks, `gmtime` for the calendar). Accepted values round-trip to the exact
// input text, and no description, reflection or error of a card shows more than its last four
// digits.
@testable import VaultCore
import Foundation
import VaultCrypto

private func isDigits(_ bytes: some Collection<UInt8>) -> Bool { bytes.allSatisfy { (0x30...0x39).contains($0) } }

/// 12–19 ASCII digits whose Luhn sum, doubling every second digit from the right, ends in 0.
private func expectedPANError(_ bytes: [UInt8]) -> CardError? {
    guard (12...19).contains(bytes.count), isDigits(bytes) else { return .invalidCardNumber }
    var sum = 0
    for (position, byte) in bytes.reversed().enumerated() {
        let digit = Int(byte - 0x30)
        sum += position % 2 == 1 ? (digit * 2) / 10 + (digit * 2) % 10 : digit
    }
    return sum % 10 == 0 ? nil : .luhnCheckFailed
}

private func expectedDateError(_ bytes: [UInt8]) -> CardError? {
    guard bytes.count == 6, isDigits(bytes) else { return .invalidExpirationDate }
    let month = Int(bytes[4] - 0x30) * 10 + Int(bytes[5] - 0x30)
    return (1...12).contains(month) ? nil : .invalidExpirationDate
}

/// The packing: printable ASCII without space, exactly two pipes, then each field's own rule.
private func expectedPackingError(_ bytes: [UInt8]) -> CardError? {
    guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }), bytes.filter({ $0 == 0x7C }).count == 2 else {
        return .malformedCardData
    }
    let fields = bytes.split(separator: 0x7C, omittingEmptySubsequences: false).map(Array.init)
    if let error = expectedPANError(fields[0]) { return error }
    if !fields[1].isEmpty, let error = expectedDateError(fields[1]) { return error }
    if !fields[2].isEmpty, !((3...4).contains(fields[2].count) && isDigits(fields[2])) { return .invalidSecurityCode }
    return nil
}

private func outcome<T>(_ body: () throws(CardError) -> T) -> Result<T, CardError> {
    Result { () throws(CardError) in try body() }
}

/// Nothing printable about a card may carry its number beyond the last four digits.
private func checkMasked(_ card: CardData) {
    let number = card.number.digits
    for shown in [card.description, card.debugDescription, String(reflecting: card), "\(card.number)",
                  String(reflecting: card.number), dumped(card)] {
        fuzzCheck(!shown.contains(number) && longestDigitRun(shown.utf8) <= 4, "a card prints masked")
    }
}

private func dumped(_ value: Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}

private func checkPAN(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let parsed = outcome { () throws(CardError) in try PrimaryAccountNumber(text) }
    guard Array(text.utf8) == bytes else { return }  // invalid UTF-8 became U+FFFD: not the same text
    switch parsed {
    case .failure(let error):
        fuzzCheck(expectedPANError(bytes) == error, "a PAN is refused for the first rule it breaks")
    case .success(let pan):
        fuzzCheck(expectedPANError(bytes) == nil, "a PAN is accepted only when valid")
        fuzzCheck(pan.digits == text && pan.utf8Digits == bytes, "a PAN keeps its digits")
        fuzzCheck(pan.last4.utf8.elementsEqual(bytes.suffix(4)), "last4 is the last four digits")
        let leading = pan.leadingDigits.utf8
        fuzzCheck(leading.elementsEqual(bytes.prefix(leading.count)), "leading digits are a prefix")
        fuzzCheck(leading.count <= 6 && bytes.count - leading.count - 4 >= PrimaryAccountNumber.minimumHiddenDigits,
                  "at least six digits stay hidden")
        fuzzCheck(outcome { () throws(CardError) in try PrimaryAccountNumber(ascii: bytes) }.map(\.brand) == .success(pan.brand),
                  "both initializers agree")
    }
}

private func checkDate(_ bytes: [UInt8]) {
    switch outcome({ () throws(CardError) in try ExpirationDate(ascii: bytes) }) {
    case .failure(let error):
        fuzzCheck(error == .invalidExpirationDate && expectedDateError(bytes) != nil, "a date is refused only when malformed")
    case .success(let date):
        fuzzCheck(expectedDateError(bytes) == nil, "a date is accepted only when well formed")
        fuzzCheck(Array(date.yyyymm.utf8) == bytes, "a date writes back as its text")
    }
}

private func checkPacking(_ bytes: [UInt8]) {
    let packed = outcome { () throws(CardError) in try CardData(packedASCII: bytes) }
    switch packed {
    case .failure(let error):
        fuzzCheck(expectedPackingError(bytes) == error, "packing is refused for the first rule it breaks")
    case .success(let card):
        fuzzCheck(expectedPackingError(bytes) == nil, "packing is accepted only when valid")
        fuzzCheck(Array(card.packed.utf8) == bytes, "packing writes back as its text")
        checkMasked(card)
    }
    // The decrypted-blob path: the same card, or the one error that tells nothing.
    switch outcome({ () throws(CardError) in try EncryptedCardData.cardData(fromDecrypted: bytes) }) {
    case .failure(let error):
        fuzzCheck(error == .invalidEncryptedData && (try? packed.get()) == nil, "a blob fails with one error, and only when the packing does")
    case .success(let card):
        fuzzCheck((try? packed.get())?.packed == card.packed, "a blob unpacks as the packing does")
    }
}

private func checkEnvelope(keyID: String, data: String, mode: String) {
    let modeValue = Int(mode)
    guard mode.isEmpty || modeValue != nil else { return }
    let envelope = outcome { () throws(CardError) in try EncryptedCardData(keyID: keyID, data: data, mode: modeValue) }
    let decoded = Base64URL.decode(data)
    let expected: CardError? =
        if KeyID(validating: keyID) == nil { .invalidKeyID }
        else if decoded == nil || decoded!.isEmpty || decoded!.count > EncryptedCardData.maximumCiphertextCount { .invalidEncryptedData }
        else if let modeValue, !(0...2).contains(modeValue) { .unsupportedEncryptionMode }
        else { nil }
    switch envelope {
    case .failure(let error):
        fuzzCheck(error == expected, "an envelope is refused for the first rule it breaks")
    case .success(let envelope):
        fuzzCheck(expected == nil, "an envelope is accepted only when valid")
        fuzzCheck(envelope.keyID.rawValue == keyID && envelope.ciphertext == decoded!
                  && envelope.mode.rawValue == (modeValue ?? 2), "an envelope keeps what it was given")
        // Compared with a twin holding other bytes of the same length, not searched for the
        // input's text: that text may be part of the key ID or of the description's own words.
        let twin = try? EncryptedCardData(keyID: keyID, data: Base64URL.encode(decoded!.map { ~$0 }), mode: modeValue)
        fuzzCheck(twin.map(String.init(describing:)) == envelope.description
                  && twin.map(String.init(reflecting:)) == String(reflecting: envelope), "an envelope prints only the length of its ciphertext")
    }
}

private func checkClock(_ bytes: [UInt8]) {
    guard bytes.count >= 8 else { return }
    let seconds = Double(bitPattern: bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    guard seconds.isFinite, abs(seconds) <= 1e13 else { return }
    var time = time_t(seconds.rounded(.down))
    var parts = tm()
    fuzzCheck(gmtime_r(&time, &parts) != nil, "gmtime reads the clock")
    let (year, month) = ExpirationDate.utcYearMonth(secondsSince1970: seconds)
    fuzzCheck(year == Int(parts.tm_year) + 1900 && month == Int(parts.tm_mon) + 1, "the UTC month agrees with gmtime")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCard(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let lines = input.bytes.split(separator: 0x0A, maxSplits: 3, omittingEmptySubsequences: false).map(Array.init)
    for bytes in [input.bytes] + (lines.count > 1 ? lines : []) {
        checkPAN(bytes)
        checkDate(bytes)
        checkPacking(bytes)
    }
    if lines.count >= 2 {
        let texts = lines.map { String(decoding: $0, as: UTF8.self) }
        checkEnvelope(keyID: texts[0], data: texts[1], mode: texts.count > 2 ? texts[2] : "")
    }
    checkClock(input.bytes)
    return 0
}
