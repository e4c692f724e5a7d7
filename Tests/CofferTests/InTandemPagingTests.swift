import Foundation
import Testing
import TestSupport
import VaultCore

/// `page` and `per_page` on the card list, as the platform's conventions page every list
/// (`?per_page=50&page=3`, 25 entries by default).
@Suite("inTandem (vcita) dialect: paging the card list", .ownThreads)
struct InTandemPagingTests {
    /// A client with `count` synced cards, last 4 `1001`, `1002`, … in the order synced.
    static func client(with count: Int) async throws -> (PlatformStaff, String) {
        var policy = VaultPolicy()
        policy.maximumGatewayCardsPerClient = 200
        let staff = try await PlatformStaff.make(policy: policy)
        await staff.connectGateway()
        let client = try await staff.createClient()
        for index in 1...count {
            let synced = await staff.sync(client: client, last4: String(1000 + index))
            #expect(synced.status == 201, "\(synced.body)")
        }
        return (staff, client)
    }

    static func last4s(_ response: APIHarness.Response) -> [String] {
        (response.data?["cards"] as? [[String: Any]] ?? []).compactMap { $0["last_4"] as? String }
    }

    @Test("The conventions' literal ?per_page=50&page=3 answers the third 50 (entries 101–120 of 120); no query answers the first 25")
    func literalRequest() async throws {
        let (staff, client) = try await Self.client(with: 120)
        let third = await staff.request("GET", "/clients/\(client)/payment/cards?per_page=50&page=3")
        #expect(third.status == 200, "\(third.body)")
        #expect(Self.last4s(third) == (101...120).map { String(1000 + $0) })
        #expect(third.json?.keys.sorted() == ["data", "status"] && third.data?.keys.sorted() == ["cards"],
                "the platform's envelope carries no paging fields")

        let first = await staff.request("GET", "/clients/\(client)/payment/cards")
        #expect(Self.last4s(first) == (1...25).map { String(1000 + $0) })
        let second = await staff.request("GET", "/clients/\(client)/payment/cards?page=2")
        #expect(Self.last4s(second) == (26...50).map { String(1000 + $0) })
        let past = await staff.request("GET", "/clients/\(client)/payment/cards?page=9")
        #expect(past.status == 200 && Self.last4s(past).isEmpty, "\(past.body)")
    }

    @Test("page and per_page out of range, or not integers, are a 422 naming the parameter", arguments: [
        ("page=0", "page must be an integer between 1 and 1000000"),
        ("page=-1", "page must be an integer between 1 and 1000000"),
        ("page=1000001", "page must be an integer between 1 and 1000000"),
        ("page=two", "page must be an integer between 1 and 1000000"),
        ("page=", "page must be an integer between 1 and 1000000"),
        ("per_page=0", "per_page must be an integer between 1 and 100"),
        ("per_page=101", "per_page must be an integer between 1 and 100"),
        ("per_page=2.5", "per_page must be an integer between 1 and 100"),
        ("per_page=99999999999999999999", "per_page must be an integer between 1 and 100"),
    ])
    func outOfRange(_ query: String, _ message: String) async throws {
        let (staff, client) = try await Self.client(with: 1)
        let refused = await staff.request("GET", "/clients/\(client)/payment/cards?\(query)")
        #expect(refused.status == 422 && refused.error == message, "\(refused.body)")
    }
}
