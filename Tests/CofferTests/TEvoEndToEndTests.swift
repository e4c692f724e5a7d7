import Foundation
import Testing
import TestSupport

@Suite("coffer serve answers Ticket Evolution clients (curl, signed by Python's hmac)", .serialized, .ownThreads)
struct TEvoEndToEndTests {
    @Test("A signed batch of two cards → both created with last digits and 2-digit years; with 4000111111111115 → 422, nothing stored; one altered body byte → 401")
    func cardBatchOverHTTP() async throws {
        let server = try await ServerProcess()
        let issued = try await server.request("POST", "/vault/v1/tevo/credentials", body: #"{"label":"e2e"}"#, key: server.apiKey)
        #expect(issued.status == 201, "\(issued.body)")
        let signer = Signer(server: server, token: try #require(issued.json?["token"] as? String),
                            secret: try #require(issued.json?["secret"] as? String))

        let client = try await signer.create("/v9/clients", #"{"clients":[{"name":"Ned Flanders"}]}"#, "clients")
        let address = try await signer.create("/v9/clients/\(client)/addresses", #"{"addresses":[{"label":"home","street_address":"742 Evergreen Terrace","locality":"Springfield","region":"OR","postal_code":"97475","country_code":"US"}]}"#, "addresses")
        let phone = try await signer.create("/v9/clients/\(client)/phone_numbers", #"{"phone_numbers":[{"label":"home","number":"5550123"}]}"#, "phone_numbers")
        let cards = "/v9/clients/\(client)/credit_cards"
        func batch(_ numbers: [String]) -> String {
            TEvoCaller.batch(numbers.map { TEvoCaller.card($0, address: address, phone: phone) })
        }

        let created = try await signer.request("POST", cards, body: batch(["4111111111111111", "5555555555554444"]))
        #expect(created.status == 201, "\(created.body)")
        let stored = try #require(created.json?["credit_cards"] as? [[String: Any]])
        #expect(stored.map { $0["last_digits"] as? String } == ["1111", "4444"])
        #expect(stored.map { $0["expiration_year"] as? String } == ["30", "30"])

        let declined = try await signer.request("POST", cards, body: batch(["4111111111111111", "4000111111111115"]))
        #expect(declined.status == 422 && declined.json?["code"] as? String == "card_declined", "\(declined.body)")
        let listed = try await signer.request("GET", cards)
        #expect((listed.json?["credit_cards"] as? [[String: Any]])?.count == 2, "the declined batch stored nothing: \(listed.body)")

        let body = batch(["4111111111111111"])
        let altered = try await signer.request("POST", cards, body: body, sent: body.replacingOccurrences(of: "Ned", with: "Ted"))
        #expect(altered.status == 401 && altered.json?["error"] as? String == "Unauthorized", "\(altered.body)")

        #expect(await server.stop() == 0)
        #expect(!server.log.contains("4111111111111111") && !server.log.contains("Ned Flanders"))
    }

    /// Requests to a running server signed over the `Host` curl sends (`127.0.0.1:PORT`).
    struct Signer {
        let server: ServerProcess
        let token: String
        let secret: String

        func request(_ method: String, _ path: String, body: String = "", sent: String? = nil) async throws -> ServerProcess.Response {
            let host = String(server.baseURL.dropFirst("http://".count))
            let signature = try await TEvoSignatureTests().pythonSignatures(secret: secret, [
                .init(method: method, host: host, path: path, query: nil, body: body),
            ])
            return try await server.request(method, path, body: method == "GET" ? nil : (sent ?? body),
                                            headers: ["X-Token": token, "X-Signature": signature[0]])
        }

        func create(_ path: String, _ body: String, _ key: String) async throws -> Int {
            let created = try await request("POST", path, body: body)
            #expect(created.status == 201, "\(created.body)")
            return try #require((created.json?[key] as? [[String: Any]])?.first?["id"] as? Int)
        }
    }
}
