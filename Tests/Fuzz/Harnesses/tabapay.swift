// Target `tabapay`: TabaPay's Create Account, Update Account v1 and v2 bodies and the duplicate
// check's query strings for create and update (`TabaPayAccountRequest`, `TabaPayOwner`).
//
// Properties: bad input is a 4xx `{SC, EC, EM}` with no card number in it; an accepted request
// holds exactly the reference ID, card (number and date, encrypted data or token) or bank
// account that was sent, and an owner with a name; an amendment changes something.
@testable import VaultAPI
import JSON
import VaultCore

private func checkInstrument(_ instrument: AccountInstrument, from body: JSONReader) {
    switch instrument {
    case .card(let card):
        guard let fields = try? body.object("card") else { return fuzzCheck(false, "a card account was sent a card") }
        checkCardInput(card, from: fields, numberKey: "accountNumber", dateKey: "expirationDate", codeKey: nil,
                       tokenKey: "token")
    case .bank(let bank):
        guard let fields = try? body.object("bank") else { return fuzzCheck(false, "a bank account was sent a bank") }
        fuzzCheck(fields.value("accountNumber") == .string(bank.accountNumber.digits)
                  && fields.value("routingNumber") == .string(bank.routingNumber.digits),
                  "the bank account is the one sent")
    }
}

private func checkOwner(_ owner: JSONValue) {
    fuzzCheck(owner.objectValue?["name"]?.objectValue != nil, "an account owner has a name")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTabaPay(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let dialect = Dialect.tabaPay
    dialect.read({ try TabaPayAccountRequest.duplicateCheck(query: input.text) })
    dialect.read({ try TabaPayAccountRequest.duplicateCheck(query: input.text, updating: true) })
    guard let body = dialect.body(input.bytes) else { return 0 }
    dialect.read({ try TabaPayAccountRequest.parse(body) }) { request in
        fuzzCheck(body.value("referenceID") == .string(request.referenceID)
                  && TabaPayAccountRequest.isReferenceID(request.referenceID), "the reference ID is the one sent")
        checkInstrument(request.instrument, from: body)
        checkOwner(request.owner)
    }
    dialect.read({ try TabaPayAccountRequest.parseReplacement(body) }) { request in
        checkInstrument(request.instrument, from: body)
        checkOwner(request.owner)
    }
    dialect.read({ try TabaPayAccountRequest.parseAmendment(body) }) { amendment in
        fuzzCheck(amendment.expiration != nil || !amendment.owner.isEmpty, "an amendment changes something")
        let sent = (try? body.object("card"))?.value("expirationDate")
        fuzzCheck(sent.flatMap(\.stringValue) == amendment.expiration?.yyyymm, "the expiration is the one sent")
    }
    return 0
}
