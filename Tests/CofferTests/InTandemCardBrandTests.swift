import Foundation
import Testing
import TestSupport
import VaultCore

/// `card_brand` as integrations copy it from Stripe: the legacy Card object's names or the
/// PaymentMethod's, each stored and answered in the current spelling.
@Suite("inTandem (vcita) dialect: Stripe's card brand spellings", .ownThreads)
struct InTandemCardBrandTests {
    /// Stripe's legacy `Card.brand` and current `PaymentMethod.card.brand` for the same brands.
    static let spellings: [(sent: String, stored: String)] = [
        ("American Express", "amex"), ("Cartes Bancaires", "cartes_bancaires"), ("Diners Club", "diners"),
        ("Discover", "discover"), ("Eftpos Australia", "eftpos_au"), ("Girocard", "girocard"), ("JCB", "jcb"),
        ("MasterCard", "mastercard"), ("UnionPay", "unionpay"), ("Visa", "visa"), ("Unknown", "unknown"),
        ("amex", "amex"), ("cartes_bancaires", "cartes_bancaires"), ("diners", "diners"), ("discover", "discover"),
        ("eftpos_au", "eftpos_au"), ("jcb", "jcb"), ("link", "link"), ("mastercard", "mastercard"),
        ("unionpay", "unionpay"), ("visa", "visa"), ("unknown", "unknown"),
    ]

    @Test("Seed 001's sync_card with each Stripe spelling of card_brand → 201, stored and listed normalised",
          arguments: spellings)
    func stripeSpellings(_ spelling: (sent: String, stored: String)) async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let synced = await staff.sync(client: client, brand: spelling.sent)
        #expect(synced.status == 201, "\(synced.body)")
        #expect(synced.card?["card_brand"] as? String == spelling.stored)
        #expect(await staff.cards(client: client).first?["card_brand"] as? String == spelling.stored)
    }

    @Test("A brand Stripe does not name, or a near miss of one, is a 422 that stores nothing",
          arguments: ["maestro", "Amex Centurion", "diners_club", "american_express", ""])
    func unknownSpelling(_ brand: String) async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let refused = await staff.sync(client: client, brand: brand)
        #expect(refused.status == 422 && refused.error?.hasPrefix("card_brand must be one of amex, ") == true, "\(refused.body)")
        #expect(await staff.cards(client: client).isEmpty)
    }

    @Test("A legacy spelling and its current one are the same brand when matched against a vault card")
    func legacyNameMatchesVaultCard() async throws {
        let staff = try await PlatformStaff.make()
        await staff.connectGateway()
        let client = try await staff.createClient()
        let amex = CardInput.plain(CardData(number: try PrimaryAccountNumber(TestPAN.make(5, prefix: "37", length: 15)),
                                            expiration: try ExpirationDate(yyyymm: "203003"), securityCode: nil))
        let held = try await staff.api.test.vault.tokenize(amex, tenant: staff.api.client, caller: .admin(of: staff.api.client), actor: "test")
        let token = held.metadata.token.rawValue
        let linked = await staff.sync(client: client, last4: held.metadata.last4, brand: "American Express", vaultToken: token)
        #expect(linked.status == 201 && linked.card?["card_brand"] as? String == "amex", "\(linked.body)")
    }
}
