/// The card network, derived from the issuer identification number (IIN) so that responses can
/// show "visa ••••1111" and policies can be set per network without ever storing the PAN.
///
/// Only the 12–19 digit length of `PrimaryAccountNumber` is enforced, not each network's own
/// lengths: networks add lengths over time (Visa 19, Mastercard 2-series, Maestro 12–19) and a
/// tokenizing vault must not refuse a card its processor would accept. `.unknown` is a valid
/// brand for a valid PAN.
public enum CardBrand: String, Sendable, CaseIterable, Codable {
    case visa, mastercard, amex, discover, diners, jcb, unionpay, maestro, uatp, unknown
}

extension CardBrand {
    /// The brand for a PAN's leading digits, given as the integer value of its first six digits.
    ///
    /// IIN table, most specific prefix first. Sources: ISO/IEC 7812-1; Wikipedia "Payment card
    /// number" (IIN ranges table); Mastercard 2-series announcement (2221–2720, 2016); Discover
    /// IIN bulletin (6011, 644–649, 65); JCB (3528–3589); UATP (1).
    ///
    /// | brand      | prefixes                                                       |
    /// |------------|----------------------------------------------------------------|
    /// | uatp       | 1                                                              |
    /// | mastercard | 2221–2720, 51–55                                               |
    /// | amex       | 34, 37                                                         |
    /// | diners     | 300–305, 3095, 36, 38–39                                       |
    /// | jcb        | 3528–3589                                                      |
    /// | visa       | 4                                                              |
    /// | maestro    | 50 (incl. 5018, 5020, 5038), 56–58 (incl. 5893), and every 6   |
    /// |            | not listed below (incl. 6304, 6759, 6761–6763)                 |
    /// | discover   | 6011, 644–649, 65                                              |
    /// | unionpay   | 62 (incl. 622126–622925), 81                                   |
    ///
    /// Precedence: 622126–622925 is UnionPay co-badged for acceptance on the Discover network.
    /// The cards are issued by UnionPay members and carry the UnionPay mark, so they are
    /// reported as `.unionpay` (as Braintree's `credit-card-type` does); all of 62 is UnionPay.
    /// Everything else (0, 2 outside 2221–2720 such as Mir 2200–2204, 35 outside JCB,
    /// 306–309 except 3095, 59, 7, 80, 82–89, 9) is `.unknown`.
    static func identify(iin6: Int) -> CardBrand {
        let p1 = iin6 / 100_000
        let p2 = iin6 / 10_000
        let p3 = iin6 / 1_000
        let p4 = iin6 / 100
        switch p1 {
        case 1:
            return .uatp
        case 2:
            return (2221...2720).contains(p4) ? .mastercard : .unknown
        case 3:
            if p2 == 34 || p2 == 37 { return .amex }
            if (300...305).contains(p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39 {
                return .diners
            }
            if (3528...3589).contains(p4) { return .jcb }
            return .unknown
        case 4:
            return .visa
        case 5:
            if (51...55).contains(p2) { return .mastercard }
            if p2 == 50 || (56...58).contains(p2) { return .maestro }
            return .unknown
        case 6:
            if p4 == 6011 || (644...649).contains(p3) || p2 == 65 { return .discover }
            if p2 == 62 { return .unionpay }
            return .maestro
        case 8:
            return p2 == 81 ? .unionpay : .unknown
        default:
            return .unknown
        }
    }
}
