// Target `intandem`: the inTandem platform bodies (`InTandemRequests`): payment settings, a
// client profile and a gateway card to sync.
//
// Properties: bad input is a 4xx `{status: "Error", error}` with no card number in it; what is
// accepted holds exactly what was sent.
@testable import VaultAPI
import JSON
import VaultCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInTandem(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let dialect = Dialect.inTandem
    guard let body = dialect.body(FuzzInput(data, size).bytes) else { return 0 }
    dialect.read({ try InTandemRequests.settings(body) }) { update in
        let settings = try? body.object("payment_settings")
        fuzzCheck(settings?.value("stripe_access_token")?.stringValue.map { Array($0.utf8) } == update.stripeAccessToken?.bytes,
                  "the access token is the one sent")
        fuzzCheck(settings?.value("payments_gateway_type")?.stringValue == update.gateway?.rawValue,
                  "the gateway is the one sent")
    }
    dialect.read({ try InTandemRequests.clientProfile(body) }) { profile in
        fuzzCheck(profile.first.map { $0.0 == "first_name" && $0.1 == body.value("first_name") } == true,
                  "the profile starts with the first name sent")
    }
    dialect.read({ try InTandemRequests.syncCard(body) }) { card in
        fuzzCheck(body.value("client_id") == .string(card.clientID.rawValue)
                  && body.value("customer_id") == .string(card.customerID)
                  && body.value("external_card_id") == .string(card.externalCardID), "the card's ids are the ones sent")
        let details = try? body.object("details")
        fuzzCheck(details?.value("last_4") == .string(card.details.last4)
                  && details?.value("exp_month")?.intValue == card.details.expMonth, "the card's details are the ones sent")
        fuzzCheck(body.value("vault_token")?.stringValue == card.vaultToken?.rawValue, "the vault token is the one sent")
        fuzzCheck(details?.value("card_brand")?.stringValue.flatMap(GatewayCardBrand.init(stripe:)) == card.details.brand,
                  "the brand is the one sent, in Stripe's current spelling")
    }
    return 0
}
