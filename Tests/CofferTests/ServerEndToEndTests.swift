import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VaultCore
import VaultCrypto
import VaultStore

@Suite("coffer serve, driven with curl", .serialized, .ownThreads)
struct ServerEndToEndTests {
    @Test("Tokenize, metadata, reveal, delete; errors are envelopes; SIGTERM exits 0")
    func cardLifecycle() async throws {
        let server = try await ServerProcess()
        let card = #"{"number":"4111111111111111","expirationDate":"\#(ServerProcess.validExpiration)"}"#
        let created = try await server.request("POST", "/vault/v1/cards", body: card, key: server.apiKey)
        #expect(created.status == 201, "\(created.body)")
        let token = try #require(created.json?["token"] as? String)
        #expect(created.json?["last4"] as? String == "1111")
        #expect(created.json?["duplicates"] as? [String] == [])

        let again = try await server.request("POST", "/vault/v1/cards", body: card, key: server.apiKey)
        #expect(again.json?["duplicates"] as? [String] == [token])

        let metadata = try await server.request("GET", "/vault/v1/cards/\(token)", key: server.apiKey)
        #expect(metadata.status == 200)
        #expect(metadata.json?["brand"] as? String == "visa")
        #expect(!metadata.body.contains("4111111111111111"))

        let revealed = try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: server.apiKey)
        #expect(revealed.json?["number"] as? String == "4111111111111111")
        #expect(revealed.json?["expirationDate"] as? String == ServerProcess.validExpiration)

        #expect(try await server.request("DELETE", "/vault/v1/cards/\(token)", key: server.apiKey).status == 204)
        let gone = try await server.request("GET", "/vault/v1/cards/\(token)", key: server.apiKey)
        #expect(gone.status == 404)
        #expect((gone.json?["error"] as? [String: String])?["code"] == "card_not_found")

        // Bad input: a clear 4xx with a stable code, and never an echo of the number.
        let luhn = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111112"}"#, key: server.apiKey)
        #expect(luhn.status == 400)
        #expect((luhn.json?["error"] as? [String: String])?["code"] == "luhn_check_failed")
        #expect(!luhn.body.contains("4111111111111112"))
        let wrongType = try await server.request("POST", "/vault/v1/cards", body: #"{"number":4111111111111111}"#, key: server.apiKey)
        #expect((wrongType.json?["error"] as? [String: String])?["code"] == "invalid_field")
        let unknown = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111","cvv":"1"}"#, key: server.apiKey)
        #expect((unknown.json?["error"] as? [String: String])?["code"] == "unknown_field")
        let expired = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111","expirationDate":"202001"}"#, key: server.apiKey)
        #expect((expired.json?["error"] as? [String: String])?["code"] == "expired_card")
        #expect(try await server.request("GET", "/vault/v1/nothing", key: server.apiKey).status == 404)
        #expect(try await server.request("PUT", "/vault/v1/cards", key: server.apiKey).status == 405)

        let metrics = try await server.request("GET", "/metrics", key: server.apiKey)
        #expect(metrics.body.contains(#"coffer_http_requests_total{method="POST",route="/vault/v1/cards",status="201"} 2"#))
        #expect(metrics.body.contains(#"coffer_cards_stored{tenant="\#(server.tenantID)"} 1"#))
        #expect(metrics.body.contains("coffer_store_write_batches_total"))
        #expect(try await server.request("GET", "/readyz").status == 200)

        #expect(await server.stop() == 0)
        #expect(server.log.contains(#""route":"/vault/v1/cards/{token}/reveal""#))
        #expect(!server.log.contains("4111111111111111"), "no PAN in any log line")
        #expect(!server.log.contains(token), "logs name routes, not paths")
    }

    @Test("Encrypted card data made by the openssl command with the key fetched from /vault/v1/keys tokenizes and reveals")
    func encryptedCardData() async throws {
        let server = try await ServerProcess()
        let directory = try TemporaryDirectory()
        let created = try await server.request("POST", "/vault/v1/keys", body: #"{"format":"ASN.1"}"#, key: server.apiKey)
        #expect(created.status == 201, "\(created.body)")
        let keyID = try #require(created.json?["keyID"] as? String)
        #expect(created.json?["expiration"] != nil)

        let fetched = try await server.request("GET", "/vault/v1/keys/\(keyID)?format=ASN.1", key: server.apiKey)
        let der = try #require((fetched.json?["key"] as? String).flatMap { Base64URL.decode($0) })
        let data = try await opensslEncrypt("5555555555554444|\(ServerProcess.validExpiration)|737", publicKeyDER: der, mgf1: "sha256",
                                            in: directory)
        let tokenized = try await server.request("POST", "/vault/v1/cards", body: #"{"keyID":"\#(keyID)","data":"\#(data)","mode":2}"#,
                                                 key: server.apiKey)
        #expect(tokenized.status == 201, "\(tokenized.body)")
        let token = try #require(tokenized.json?["token"] as? String)
        let revealed = try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: server.apiKey)
        #expect(revealed.json?["number"] as? String == "5555555555554444")

        let raw = try await server.request("GET", "/vault/v1/keys/\(keyID)?format=Raw", key: server.apiKey)
        #expect(raw.json?["keyExponent"] as? String == "AQAB")
        #expect((raw.json?["keyModulus"] as? String).flatMap { Base64URL.decode($0) }?.count == 256)

        let corrupted = try await server.request("POST", "/vault/v1/cards", body: #"{"keyID":"\#(keyID)","data":"AAAA","mode":2}"#,
                                                 key: server.apiKey)
        #expect((corrupted.json?["error"] as? [String: String])?["code"] == "invalid_encrypted_data")

        _ = try await server.request("POST", "/vault/v1/keys", body: #"{"format":"Raw"}"#, key: server.apiKey)
        let third = try await server.request("POST", "/vault/v1/keys", body: "{}", key: server.apiKey)
        #expect(third.status == 409)
        #expect((third.json?["error"] as? [String: String])?["code"] == "too_many_active_keys")

        #expect(try await server.request("DELETE", "/vault/v1/keys/\(keyID)", key: server.apiKey).status == 204)
        #expect(try await server.request("GET", "/vault/v1/keys/\(keyID)", key: server.apiKey).status == 410)
        #expect(try await server.request("GET", "/vault/v1/keys/\(KeyID.generate().rawValue)", key: server.apiKey).status == 404)
        await server.stop()
    }

    @Test("Single-use card tokens are taken once")
    func singleUseTokens() async throws {
        let server = try await ServerProcess()
        let card = #"{"number":"378282246310005","expirationDate":"\#(ServerProcess.validExpiration)","securityCode":"1234"}"#
        let issued = try await server.request("POST", "/vault/v1/card-tokens", body: card, key: server.apiKey)
        #expect(issued.status == 201, "\(issued.body)")
        let cardToken = try #require(issued.json?["cardToken"] as? String)
        #expect(issued.json?["brand"] as? String == "amex")
        let first = try await server.request("POST", "/vault/v1/cards", body: #"{"cardToken":"\#(cardToken)"}"#, key: server.apiKey)
        #expect(first.status == 201)
        let second = try await server.request("POST", "/vault/v1/cards", body: #"{"cardToken":"\#(cardToken)"}"#, key: server.apiKey)
        #expect((second.json?["error"] as? [String: String])?["code"] == "card_token_not_found")
        await server.stop()
    }

    @Test("Idempotent retries return the first response and store nothing twice; another body is 422")
    func idempotentRetry() async throws {
        let server = try await ServerProcess()
        let body = #"{"number":"6011111111111117","expirationDate":"\#(ServerProcess.validExpiration)"}"#
        let first = try await server.request("POST", "/vault/v1/cards", body: body, key: server.apiKey,
                                             headers: ["Idempotency-Key": "order-1"])
        let retry = try await server.request("POST", "/vault/v1/cards", body: body, key: server.apiKey,
                                             headers: ["Idempotency-Key": "order-1"])
        #expect(first.status == 201)
        #expect(retry.status == 201)
        #expect(retry.body == first.body)
        #expect(retry.headers.lowercased().contains("idempotent-replayed: true"))
        let other = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: server.apiKey,
                                             headers: ["Idempotency-Key": "order-1"])
        #expect(other.status == 422)
        #expect((other.json?["error"] as? [String: String])?["code"] == "idempotency_key_reused")
        #expect(try await server.request("GET", "/metrics", key: server.apiKey).body
            .contains(#"coffer_cards_stored{tenant="\#(server.tenantID)"} 1"#))
        await server.stop()
    }

    @Test("API keys carry roles; a revoked key is refused; another tenant's token is not found")
    func accessControl() async throws {
        let server = try await ServerProcess()
        let revealOnly = try await server.request("POST", "/vault/v1/apikeys", body: #"{"roles":["reveal"],"label":"support"}"#,
                                                  key: server.apiKey)
        #expect(revealOnly.status == 201, "\(revealOnly.body)")
        let revealKey = try #require(revealOnly.json?["apiKey"] as? String)
        let tokenizeOnly = try await server.request("POST", "/vault/v1/apikeys", body: #"{"roles":["tokenize"]}"#, key: server.apiKey)
        let tokenizeKey = try #require(tokenizeOnly.json?["apiKey"] as? String)

        let card = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: tokenizeKey)
        #expect(card.status == 201)
        let token = try #require(card.json?["token"] as? String)
        #expect(try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: tokenizeKey).status == 403)
        #expect(try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: revealKey).status == 403)
        #expect(try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: revealKey).status == 200)
        #expect(try await server.request("POST", "/vault/v1/apikeys", body: #"{"roles":["reveal"]}"#, key: revealKey).status == 403)

        let revealID = try #require(revealOnly.json?["id"] as? String)
        #expect(try await server.request("DELETE", "/vault/v1/apikeys/\(revealID)", key: server.apiKey).status == 204)
        #expect(try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: revealKey).status == 401)
        #expect(try await server.request("GET", "/vault/v1/cards/\(token)").status == 401)

        let tenant = try await server.request("POST", "/vault/v1/tenants", body: #"{"name":"acme"}"#, key: server.apiKey)
        #expect(tenant.status == 201, "\(tenant.body)")
        let otherKey = try #require(tenant.json?["apiKey"] as? String)
        let foreign = try await server.request("GET", "/vault/v1/cards/\(token)", key: otherKey)
        #expect(foreign.status == 404)
        #expect(try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: otherKey).status == 404)
        await server.stop()
    }

    @Test("Failed authentications counted in memory are written at SIGTERM: the log holds every one")
    func failuresAreFlushedAtShutdown() async throws {
        let server = try await ServerProcess()
        for _ in 0..<5 { #expect(try await server.request("GET", "/vault/v1/cards/AAAAAAAAAAAAAAAAAAAAAA").status == 401) }
        #expect(await server.stop() == 0)
        let storage = try SQLiteStorage.open(path: server.directory.path("data") + "/coffer.db")
        let failures = try await storage.read { try $0.auditEntries(after: 0, limit: 1_000) }
            .filter { $0.event.action == .authenticationFailure }
        await storage.close()
        // The first at once, the other four as one entry at shutdown.
        #expect(failures.map(\.event.count) == [1, 4])
        #expect(failures.allSatisfy { $0.event.subject == "missing_credential" && $0.event.actor.source == "127.0.0.1" })
    }

    @Test("docs/openapi.yaml is valid OpenAPI 3.1 and every answer of a running server conforms to it")
    func openAPIConformance() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let result = try await ProcessRunner.python(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            [root.appending(path: "scripts/check_openapi.py").path, ProcessRunner.cofferPath])
        #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
        #expect(result.standardOutput.contains(" passed, 0 failed"))
    }

    @Test("coffer serve --tls-cert/--tls-key: curl --cacert with a certificate made by openssl req")
    func tls() async throws {
        let certificates = try TemporaryDirectory()
        let key = certificates.path("key.pem"), certificate = certificates.path("cert.pem")
        let made = try await ProcessRunner.run("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1", "-keyout", key, "-out", certificate,
        ])
        #expect(made.status == 0, "\(made.standardError)")
        let server = try await ServerProcess(extraArguments: ["--tls-cert", certificate, "--tls-key", key],
                                             curlOptions: ["--cacert", certificate])
        #expect(server.baseURL.hasPrefix("https://"))
        let created = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: server.apiKey)
        #expect(created.status == 201, "\(created.body)")
        let token = try #require(created.json?["token"] as? String)
        #expect(try await server.request("POST", "/vault/v1/cards/\(token)/reveal", key: server.apiKey).json?["number"] as? String
                == "4111111111111111")
        let untrusted = try await ProcessRunner.run("/usr/bin/env", ["curl", "-sS", server.baseURL + "/healthz"])
        #expect(untrusted.status != 0, "without --cacert the self-signed certificate is not trusted")
        #expect(await server.stop() == 0)
    }

    @Test("URLSession as the client: tokenize and reveal")
    func urlSession() async throws {
        let server = try await ServerProcess()
        var tokenize = URLRequest(url: URL(string: server.baseURL + "/vault/v1/cards")!)
        tokenize.httpMethod = "POST"
        tokenize.setValue("Bearer \(server.apiKey)", forHTTPHeaderField: "Authorization")
        tokenize.setValue("application/json", forHTTPHeaderField: "Content-Type")
        tokenize.httpBody = Data(#"{"number":"5555555555554444","expirationDate":"\#(ServerProcess.validExpiration)"}"#.utf8)
        let (created, createdResponse) = try await URLSession.shared.data(for: tokenize)
        #expect((createdResponse as? HTTPURLResponse)?.statusCode == 201)
        let token = try #require((try JSONSerialization.jsonObject(with: created) as? [String: Any])?["token"] as? String)

        var reveal = URLRequest(url: URL(string: server.baseURL + "/vault/v1/cards/\(token)/reveal")!)
        reveal.httpMethod = "POST"
        reveal.setValue("Bearer \(server.apiKey)", forHTTPHeaderField: "Authorization")
        let (revealed, revealResponse) = try await URLSession.shared.data(for: reveal)
        #expect((revealResponse as? HTTPURLResponse)?.statusCode == 200)
        let card = try JSONSerialization.jsonObject(with: revealed) as? [String: Any]
        #expect(card?["number"] as? String == "5555555555554444")
        #expect(card?["expirationDate"] as? String == ServerProcess.validExpiration)
        #expect(await server.stop() == 0)
    }
}
