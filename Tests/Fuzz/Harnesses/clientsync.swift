// Target `clientsync`: the Q2-style client-sync bodies (`ClientSyncRequest`): a client, token
// options and payment methods, at the top level and where `/v1/client/sync` nests them.
//
// Properties: bad input is a 4xx in the native envelope with no card or account number in it; an
// accepted client, token request or payment method holds exactly what was sent.
@testable import VaultAPI
import JSON
import VaultCore

/// Field errors as the client-sync routes answer them (`ClientSyncRoutes.fields`).
private func fields<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as JSONFieldError { throw APIError.field(error) }
}

private func checkPaymentMethod(_ method: PaymentMethodInput, from body: JSONReader) {
    fuzzCheck(body.value("identifier")?.stringValue == method.identifier, "the identifier is the one sent")
    fuzzCheck((try? JSONParser.parse(method.details))?.objectValue != nil, "details are a JSON object")
    switch method.instrument {
    case .card(.plain(let card)):
        fuzzCheck(body.value("cardNumber") == .string(card.number.digits), "the card number is the one sent")
        fuzzCheck(body.value("cardCode")?.stringValue == card.securityCode?.digits, "the card code is the one sent")
        let month = body.value("expMonth")?.stringValue.flatMap { Int($0) }
        let year = body.value("expYear")?.stringValue.flatMap { Int($0) }
        fuzzCheck(card.expiration?.month == month && card.expiration?.year == year, "the expiration is the one sent")
    case .card(let other):
        fuzzCheck(false, "client sync reads only plain cards")
        _ = other
    case .token(let token):
        fuzzCheck(body.value("token") == .string(token.rawValue), "the token is the one sent")
    case .bank(let bank):
        fuzzCheck(body.value("accountNumber") == .string(bank.accountNumber.digits)
                  && body.value("routingNumber") == .string(bank.routingNumber.digits), "the bank account is the one sent")
    }
}

private func check(_ body: JSONReader, _ dialect: Dialect) {
    dialect.read({ try fields { try ClientSyncRequest.client(body) } }) { client in
        fuzzCheck(body.value("identifier") == .string(client.identifier), "the client identifier is the one sent")
        let sent = body.value("meta").flatMap { $0.isNull ? nil : $0 }
        fuzzCheck(client.meta.flatMap { try? JSONParser.parse($0) } == sent, "meta is the object sent")
    }
    dialect.read({ try fields { try ClientSyncRequest.tokenOptions(body) } }) { options in
        fuzzCheck(options.accessTokenLifetime.map { $0 > 0 } ?? true, "an access-token lifetime is positive")
    }
    for extraFields: Set<String> in [[], ["clientId"]] {
        dialect.read({ try fields { try ClientSyncRequest.paymentMethod(body, extraFields: extraFields) } }) { method in
            checkPaymentMethod(method, from: body)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientSync(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let dialect = Dialect.native
    guard let body = dialect.body(FuzzInput(data, size).bytes) else { return 0 }
    check(body, dialect)
    // `/v1/client/sync`: {client, token, cards: [...]}.
    for key in ["client", "token"] {
        if let nested = try? body.object(key) { check(nested, dialect) }
    }
    for card in (try? body.optionalObjectArray("cards")) ?? [] { check(card, dialect) }
    return 0
}
