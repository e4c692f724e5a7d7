import Foundation
import TestSupport
import Testing

/// The connectFi flow of issue 13 against a real `coffer serve`, driven with `curl`.
@Suite("coffer serve answers connectFi clients (curl)", .serialized, .ownThreads)
struct ConnectFiEndToEndTests {
    private static func environment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
    }

    @Test("get-token → customer init → link a card → update the PRIMARY address → sync-profile 200 Complete → the stored profile shows the new address → delivered, signed, to a local receiver")
    func profileSyncFlow() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = directory.path("data"), masterKey = directory.path("master.key")
        let initialized = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", masterKey],
                                                         environment: Self.environment())
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(initialized.standardOutput.utf8)) as? [String: String])
        let receiver = try OutboxReceiver([.answer(200)])
        let secretFile = directory.path("outbox.secret")
        try "\(OutboxDeliveryEndToEndTests.secret)\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(serving: directory, dataDir: dataDir,
                                             arguments: ["--master-key-file", masterKey, "--outbox-url", receiver.url,
                                                         "--outbox-secret-file", secretFile, "--outbox-poll-interval", "0.1"],
                                             credentials: (try #require(printed["apiKey"]), try #require(printed["tenantId"])),
                                             environment: Self.environment())
        let login = try await server.request("POST", "/vault/v1/connectfi/logins", body: ConnectFiClient.login, key: server.apiKey)
        #expect(login.status == 201, "\(login.body)")

        let session = try await server.request("POST", "/auth/get-token", body: ConnectFiClient.getToken)
        #expect(session.status == 200, "\(session.body)")
        let token = try #require((session.json?["data"] as? [String: Any])?["token"] as? String)
        func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> [String: Any] {
            let answer = try await server.request(method, path, body: body, headers: ["x-connectfi-token": token])
            #expect(answer.status == 200 && answer.json?["code"] as? String == "0", "\(path): \(answer.body)")
            return try #require(answer.json?["data"] as? [String: Any])
        }

        let customer = try #require(try await call("POST", "/customer/init", ConnectFiClient.individual("ExtRefICust101"))["customerId"] as? String)
        let card = try #require(try await call("POST", "/ibis/card/link", #"{"customerId":"\#(customer)","reference":"extTCrd374","card":{"number":"4111111111111111","expirationDate":"\#(ServerProcess.validExpiration)"}}"#)["cFiCardId"] as? String)
        _ = try await call("POST", "/customer/update", #"{"customerId":"\#(customer)","customer":{"addresses":[{"type":"PRIMARY","addressLine1":"500 New Rd.","city":"York","stateCode":"PA","postalCode":"17401","countryCodeA3":"USA"}]}}"#)
        let synced = try await call("POST", "/ibis/card/sync-profile", ConnectFiClient.syncBody(customer: customer, card: card))
        #expect(synced["cFiStatus"] as? String == "Complete" && synced["cFiCardId"] as? String == card)

        let status = try await call("GET", "/ibis/card/status/\(card)")
        let address = (status["profile"] as? [String: Any])?["address"] as? [String: Any]
        #expect(address?["addressLine1"] as? String == "500 New Rd." && address?["city"] as? String == "York")

        #expect(await waitUntil(within: .seconds(60)) { !receiver.deliveries.isEmpty }, "the profile reaches the receiver")
        let delivery = try #require(receiver.deliveries.first)
        let payload = String(decoding: delivery.body, as: UTF8.self)
        #expect(payload.contains(#""cFiCardId":"\#(card)""#) && payload.contains("500 New Rd.") && !payload.contains("4111111111111111"),
                "\(payload)")
        #expect(try await OutboxReceiver.signatureIsValid(delivery, secret: OutboxDeliveryEndToEndTests.secret, in: directory))
        #expect(await server.stop() == 0)
        await receiver.stop()
        let outbox = try await ProcessRunner.coffer(["outbox", "list", "--data-dir", dataDir, "--master-key-file", masterKey],
                                                    environment: Self.environment())
        #expect(outbox.standardOutput.contains(#""topic":"connectfi.card.profile""#) && outbox.standardOutput.contains(#""state":"delivered""#),
                "\(outbox.standardOutput)")
        #expect(server.log.contains(#""route":"/ibis/card/sync-profile""#))
        #expect(!server.log.contains("4111111111111111") && !server.log.contains("CONNECTFI_PASSWORD") && !server.log.contains(token))
    }
}
