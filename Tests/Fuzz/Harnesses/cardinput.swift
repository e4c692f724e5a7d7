// Target `cardinput`: the native API's card input (`CardInputParsing`), as tokenize reads it and
// as the single-use card token route reads it (its own `ttlSeconds` beside, no card token).
//
// Properties: bad input is a 400 in the native envelope that carries no card number; an accepted
// card is in exactly one of the three forms, the route's allowed fields only, and holds exactly
// the number, date, code, key, ciphertext, mode or token that was sent.
@testable import VaultAPI
import JSON
import VaultCore

private let routes: [(extraFields: Set<String>, allowsCardToken: Bool)] = [([], true), (["ttlSeconds"], false)]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCardInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let dialect = Dialect.native
    guard let body = dialect.body(FuzzInput(data, size).bytes) else { return 0 }
    for route in routes {
        dialect.read({
            try CardInputParsing.cardInput(from: body, extraFields: route.extraFields, allowsCardToken: route.allowsCardToken)
        }) { input in
            let forms = [body.has("number"), body.has("keyID") || body.has("data"), body.has("cardToken")]
            fuzzCheck(forms.filter { $0 }.count == 1, "a card comes in exactly one form")
            let allowed = CardInputParsing.plainFields.union(CardInputParsing.encryptedFields)
                .union(CardInputParsing.tokenFields).union(route.extraFields)
            fuzzCheck(body.object.keys.allSatisfy(allowed.contains), "only the route's fields are accepted")
            if case .singleUseToken = input { fuzzCheck(route.allowsCardToken, "a card token only where the route takes one") }
            checkCardInput(input, from: body, numberKey: "number", dateKey: "expirationDate", codeKey: "securityCode",
                           tokenKey: "cardToken")
        }
    }
    return 0
}
