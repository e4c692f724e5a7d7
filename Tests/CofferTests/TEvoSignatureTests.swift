import Foundation
import HTTPServer
import Testing
import TestSupport
@testable import VaultAPI
import VaultCrypto

/// Ticket Evolution's `X-Signature` against the vendor's published example and against Python's
/// `hmac`, which builds the string to sign from the documented rule on its own.
@Suite("Ticket Evolution X-Signature", .ownThreads)
struct TEvoSignatureTests {
    /// The seed's request body (004, Clients / Credit Cards / Create), byte for byte.
    static let seedBody = """
        {
          "credit_cards": [
            {
              "label": "Chase Sapphire Reserve",
              "name": "Ned Flanders",
              "number": "4111111111111111",
              "expiration_month": "12",
              "expiration_year": "2021",
              "verification_code": "789",
              "address_id": 645263,
              "phone_number_id": 294655,
              "ip_address": "37.235.140.72"
            }
          ]
        }
        """

    /// TEvo's page prints secret `xyz`, the string `GET api.ticketevolution.com/v9/brokerages?page=1&per_page=1`
    /// and the signature `ohGc…zu0=`; that signature is of the same string without `/v9` (the
    /// page's older example path), so both strings are checked against what each really signs to.
    @Test func vendorsPublishedExample() async throws {
        let secret = SecretBytes("xyz".utf8)
        let published = try TEvoSignature(method: "GET", host: "api.ticketevolution.com", path: "/brokerages",
                                          query: "page=1&per_page=1", body: [])
        #expect(String(decoding: published.stringToSign, as: UTF8.self) == "GET api.ticketevolution.com/brokerages?page=1&per_page=1")
        #expect(published.signature(secret: secret) == "ohGcFIHF3vg75A8Kpg42LNxuQpQZJsTBKv8xnZASzu0=")
        #expect(published.isValid("ohGcFIHF3vg75A8Kpg42LNxuQpQZJsTBKv8xnZASzu0=", secret: secret))

        let v9 = try TEvoSignature(method: "GET", host: "api.ticketevolution.com", path: "/v9/brokerages",
                                   query: "page=1&per_page=1", body: [])
        #expect(!v9.isValid("ohGcFIHF3vg75A8Kpg42LNxuQpQZJsTBKv8xnZASzu0=", secret: secret))
        let python = try await pythonSignatures(secret: "xyz", [
            .init(method: "GET", host: "api.ticketevolution.com", path: "/v9/brokerages", query: "page=1&per_page=1", body: ""),
        ])
        #expect(v9.signature(secret: secret) == python.first)
    }

    /// The page's other two strings: a GET without parameters keeps its `?`; a POST signs its body.
    @Test func vendorsDocumentedStringsToSign() throws {
        let categories = try TEvoSignature(method: "GET", host: "api.ticketevolution.com", path: "/v9/categories",
                                           query: nil, body: [])
        #expect(String(decoding: categories.stringToSign, as: UTF8.self) == "GET api.ticketevolution.com/v9/categories?")
        let emptyQuery = try TEvoSignature(method: "GET", host: "api.ticketevolution.com", path: "/v9/categories",
                                           query: "", body: [])
        #expect(emptyQuery.stringToSign == categories.stringToSign)
        let clients = try TEvoSignature(method: "POST", host: "api.ticketevolution.com", path: "/v9/clients", query: nil,
                                        body: Array(#"{"clients":[{"name":"Michael Starr"}]}"#.utf8))
        #expect(String(decoding: clients.stringToSign, as: UTF8.self)
                == #"POST api.ticketevolution.com/v9/clients?{"clients":[{"name":"Michael Starr"}]}"#)
    }

    /// The seed's literal request as the server's parser reads it: signed over the `Host` the
    /// client sent and the exact body bytes; any one altered byte is refused.
    @Test func seedRequestSignedByPythonAndEveryAlteredByteRefused() async throws {
        let secret = "tevo-secret-\(UUID().uuidString)"
        let body = Array(Self.seedBody.utf8)
        let raw = Array("""
            POST /v9/clients/168019/credit_cards HTTP/1.1\r
            Host: 127.0.0.1:8443\r
            X-Token: token\r
            Content-Type: application/json\r
            Content-Length: \(body.count)\r
            \r

            """.utf8) + body
        var parser = HTTPRequestParser()
        parser.append(raw)
        guard case .request(let request) = try parser.next() else { Issue.record("no request parsed"); return }

        let presented = try #require(try await pythonSignatures(secret: secret, [
            .init(method: "POST", host: "127.0.0.1:8443", path: "/v9/clients/168019/credit_cards", query: nil,
                  body: Self.seedBody),
        ]).first)
        let key = SecretBytes(secret.utf8)
        #expect(try TEvoSignature(request).isValid(presented, secret: key))
        #expect(try !TEvoSignature(request).isValid(presented, secret: SecretBytes("another secret".utf8)))

        for index in body.indices {
            var altered = request
            altered.body[index] ^= 0x01
            #expect(try !TEvoSignature(altered).isValid(presented, secret: key), "body byte \(index)")
        }
        var otherHost = request
        otherHost.headers.replaceOrAdd("Host", "127.0.0.1:8444")
        var otherPath = request
        otherPath.path = "/v9/clients/168018/credit_cards"
        var otherMethod = request
        otherMethod.method = "PUT"
        for altered in [otherHost, otherPath, otherMethod] {
            #expect(try !TEvoSignature(altered).isValid(presented, secret: key))
        }
    }

    /// Random requests: Python builds each string to sign from the documented rule and signs it.
    @Test func agreesWithPythonOnRandomRequests() async throws {
        var generator = SplitMix64(seed: 0x7E_70_5161)
        func text(_ alphabet: String, _ lengths: ClosedRange<Int>) -> String {
            String((0..<Int.random(in: lengths, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        var requests: [PythonRequest] = []
        for _ in 0..<40 {
            let method = ["GET", "POST", "PUT", "DELETE"].randomElement(using: &generator)!
            let host = ["api.ticketevolution.com", "127.0.0.1:8443", "localhost"].randomElement(using: &generator)!
            let path = "/v9/" + text("abcdefghijklmnopqrstuvwxyz0123456789_/%-.", 1...30)
            var query: String?
            var body = ""
            if method == "GET" {
                let keys = (0..<Int.random(in: 0...5, using: &generator)).map { _ in text("abcdefgh_[]%", 1...8) }.sorted {
                    Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8))
                }
                query = keys.isEmpty ? nil : keys.map { "\($0)=\(text("abcxyz0123456789%+-", 0...10))" }.joined(separator: "&")
            } else {
                body = text(#"{}[]":, abcdefghé€0123456789"#, 0...200)
            }
            requests.append(PythonRequest(method: method, host: host, path: path, query: query, body: body))
        }
        let secret = text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20...64)
        let expected = try await pythonSignatures(secret: secret, requests)
        for (request, signature) in zip(requests, expected) {
            let ours = try TEvoSignature(method: request.method, host: request.host, path: request.path, query: request.query,
                                         body: Array(request.body.utf8))
            #expect(ours.signature(secret: SecretBytes(secret.utf8)) == signature, "\(request)")
            #expect(ours.isValid(signature, secret: SecretBytes(secret.utf8)))
        }
        #expect(expected.count == requests.count)
    }

    @Test func unsortedQueryIsRefusedNotResorted() throws {
        func build(_ query: String) throws(TEvoSignatureError) -> TEvoSignature {
            try TEvoSignature(method: "GET", host: "api.ticketevolution.com", path: "/v9/brokerages", query: query, body: [])
        }
        for unsorted in ["per_page=1&page=1", "b=1&a=2", "page_size=2&page=1", "a=1&b=2&a=3", "a=1&&b=2", "B=1&A=1"] {
            #expect(throws: TEvoSignatureError.unsortedQuery, "\(unsorted)") { try build(unsorted) }
        }
        // Keys, not pairs: a key before a longer one that starts with it; repeated keys keep their order.
        for sorted in ["page=1&per_page=1", "page=1&page_size=2", "a=2&a=1", "A=1&a=1", "a&b=1", "ids[]=2&ids[]=1&q=x"] {
            #expect(String(decoding: try build(sorted).stringToSign, as: UTF8.self).hasSuffix("?" + sorted))
        }
        #expect(TEvoSignatureError.unsortedQuery.code == "unsorted_query")
    }

    /// Nothing the signature would not cover is accepted.
    @Test func unsignedPartsAndUnknownMethodsAreRefused() {
        let host = "api.ticketevolution.com"
        #expect(throws: TEvoSignatureError.unsignedQuery) {
            try TEvoSignature(method: "POST", host: host, path: "/v9/clients", query: "a=1", body: Array("{}".utf8))
        }
        #expect(throws: TEvoSignatureError.unsignedQuery) {
            try TEvoSignature(method: "DELETE", host: host, path: "/v9/clients/1", query: "a=1", body: [])
        }
        #expect(throws: TEvoSignatureError.unsignedBody) {
            try TEvoSignature(method: "GET", host: host, path: "/v9/clients", query: nil, body: Array("{}".utf8))
        }
        for method in ["get", "PATCH", "HEAD", "OPTIONS"] {
            #expect(throws: TEvoSignatureError.unsupportedMethod, "\(method)") {
                try TEvoSignature(method: method, host: host, path: "/v9/clients", query: nil, body: [])
            }
        }
        for missing in [nil, ""] as [String?] {
            #expect(throws: TEvoSignatureError.missingHost) {
                try TEvoSignature(method: "GET", host: missing, path: "/v9/clients", query: nil, body: [])
            }
        }
    }

    /// Only the padded standard Base64 of the right code passes; no other spelling of it.
    @Test func onlyTheExactSignatureTextIsAccepted() throws {
        let secret = SecretBytes("xyz".utf8)
        let request = try TEvoSignature(method: "GET", host: "api.ticketevolution.com", path: "/brokerages",
                                        query: "page=1&per_page=1", body: [])
        let exact = "ohGcFIHF3vg75A8Kpg42LNxuQpQZJsTBKv8xnZASzu0="
        #expect(request.isValid(exact, secret: secret))
        let mac = try #require(Data(base64Encoded: exact))
        for other in [String(exact.dropLast()), exact + "\n", " " + exact, "", Base64URL.encode(mac),
                      mac.map { String(format: "%02x", $0) }.joined(), exact.lowercased(), "ohGcFIHF3vg75A8Kpg42LNxuQpQZJsTBKv8xnZASzu1="] {
            #expect(!request.isValid(other, secret: secret), "\(other)")
        }
    }

    // MARK: - Python's hmac

    struct PythonRequest: Sendable, CustomStringConvertible {
        let method: String, host: String, path: String, query: String?, body: String
        var description: String { "\(method) \(host)\(path) query=\(query ?? "nil") body=\(body.utf8.count) bytes" }
    }

    /// Base64(HMAC-SHA256(secret, string)) per request, where Python builds the string itself:
    /// `<METHOD> <host><path>?` then the query for GET, the body bytes otherwise.
    func pythonSignatures(secret: String, _ requests: [PythonRequest]) async throws -> [String] {
        let list = requests.map { ["method": $0.method, "host": $0.host, "path": $0.path, "query": $0.query ?? "",
                                   "body": $0.body] }
        let input = String(decoding: try JSONSerialization.data(withJSONObject: list), as: UTF8.self)
        let result = try await ProcessRunner.python("""
            import base64, hashlib, hmac, json, sys
            for r in json.loads(sys.argv[2]):
                rest = r["query"] if r["method"] == "GET" else r["body"]
                message = (r["method"] + " " + r["host"] + r["path"] + "?" + rest).encode()
                print(base64.b64encode(hmac.new(sys.argv[1].encode(), message, hashlib.sha256).digest()).decode())
            """, [secret, input])
        #expect(result.status == 0, "\(result.standardError)")
        return result.standardOutput.split(separator: "\n").map(String.init)
    }
}
