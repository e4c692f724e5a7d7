import Foundation
import TestSupport
import Testing
import VaultCore
import VaultCrypto

/// The public key as the key routes serve it: `ASN.1` (Base64URL DER SubjectPublicKeyInfo) or
/// `Raw` (Base64URL modulus and exponent).
enum ServedPublicKey {
    case asn1(String)
    case raw(modulus: String, exponent: String)
}

/// Encrypts `plaintext` with Python's `cryptography` to a served public key, RSA-OAEP SHA-256
/// with MGF1 over `mgf1`; Base64URL without padding.
func pythonEncrypt(_ plaintext: String, to key: ServedPublicKey, mgf1: String) async throws -> String {
    let (form, first, second) = switch key {
    case .asn1(let der): ("asn1", der, "")
    case .raw(let modulus, let exponent): ("raw", modulus, exponent)
    }
    let result = try await ProcessRunner.python("""
        import base64, sys
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
        def decode(text): return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        form, first, second, mgf1, plaintext = sys.argv[1:6]
        if form == "asn1":
            key = serialization.load_der_public_key(decode(first))
        else:
            key = rsa.RSAPublicNumbers(int.from_bytes(decode(second), "big"), int.from_bytes(decode(first), "big")).public_key()
        mgf = hashes.SHA256() if mgf1 == "sha256" else hashes.SHA1()
        ciphertext = key.encrypt(plaintext.encode(), padding.OAEP(mgf=padding.MGF1(mgf), algorithm=hashes.SHA256(), label=None))
        print(base64.urlsafe_b64encode(ciphertext).rstrip(b"=").decode())
        """, [form, first, second, mgf1, plaintext])
    #expect(result.status == 0, "\(result.standardError)")
    return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite("TabaPay keys and encrypted card data", .ownThreads)
struct TabaPayKeyTests {
    static func isTimestamp(_ text: String?) -> Bool {
        text?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil
    }

    @Test("Create, retrieve (Raw by default), the 429 on a third key, delete 200, then 410 and 404")
    func keyLifecycle() async throws {
        let api = try await APIHarness.make()
        let base = "/v1/clients/\(api.client.rawValue)/keys"
        let asn1 = await api.request("POST", base, body: #"{"format":"ASN.1"}"#, key: api.key)
        #expect(asn1.status == 200 && asn1.sc == 200 && asn1.ec == "0", "\(asn1.body)")
        let keyID = try #require(asn1.json?["keyID"] as? String)
        #expect((asn1.json?["key"] as? String).flatMap { Base64URL.decode($0) } != nil)
        #expect(Self.isTimestamp(asn1.json?["expiration"] as? String))

        let fetched = await api.request("GET", "\(base)/\(keyID)", key: api.key)
        #expect(fetched.json?["keyExponent"] as? String == "AQAB", "Raw is the default format")
        #expect((fetched.json?["keyModulus"] as? String).flatMap { Base64URL.decode($0) }?.count == 256)
        #expect(await api.request("GET", "\(base)/\(keyID)?Format=ASN.1", key: api.key).json?["key"] as? String
                == asn1.json?["key"] as? String)
        #expect(await api.request("GET", "\(base)/\(keyID)?Format=PEM", key: api.key).em == "Format")

        let raw = await api.request("POST", base, body: #"{"format":"Raw"}"#, key: api.key)
        #expect(raw.json?["keyModulus"] != nil && raw.json?["key"] == nil)
        let third = await api.request("POST", base, body: "{}", key: api.key)
        #expect(third.status == 429 && third.sc == 429 && third.em == "Keys Created")

        let deleted = await api.request("DELETE", "\(base)/\(keyID)", key: api.key)
        #expect(deleted.status == 200 && deleted.sc == 200 && deleted.ec == "0")
        let again = await api.request("DELETE", "\(base)/\(keyID)", key: api.key)
        #expect(again.status == 410 && again.em == "Key Deleted")
        #expect(await api.request("GET", "\(base)/\(keyID)", key: api.key).em == "Key Deleted")
        let unknown = await api.request("DELETE", "\(base)/\(KeyID.generate().rawValue)", key: api.key)
        #expect(unknown.status == 404 && unknown.em == "KeyID")
        #expect(await api.request("POST", base, body: "{}", key: api.key).status == 200, "a slot is free again")
    }

    @Test("Card data encrypted by openssl (ASN.1 key) and Python cryptography (Raw and ASN.1 keys) in modes 2 and 1 creates accounts")
    func encryptedCardData() async throws {
        let api = try await APIHarness.make()
        let base = "/v1/clients/\(api.client.rawValue)"
        let (keyID, asn1, der) = try await Self.createKey(api)
        let raw = await api.request("GET", "\(base)/keys/\(keyID)?Format=Raw", key: api.key)
        let modulus = try #require(raw.json?["keyModulus"] as? String)
        let exponent = try #require(raw.json?["keyExponent"] as? String)

        let cases: [(tool: String, mode: Int, pan: String)] = [
            ("openssl", 2, "5555555555554444"), ("openssl", 1, "4012888888881881"),
            ("python-raw", 2, "378282246310005"), ("python-raw", 1, "6011111111111117"),
            ("python-asn1", 2, "3530111333300000"), ("python-asn1", 1, "4000056655665556"),
        ]
        for (index, item) in cases.enumerated() {
            let packed = "\(item.pan)|2031\(String(index + 1).leftPadded(to: 2))|123"
            let mgf1 = item.mode == 2 ? "sha256" : "sha1"
            let data = switch item.tool {
            case "openssl": try await opensslEncrypt(packed, publicKeyDER: der, mgf1: mgf1, in: api.test.directory)
            case "python-raw": try await pythonEncrypt(packed, to: .raw(modulus: modulus, exponent: exponent), mgf1: mgf1)
            default: try await pythonEncrypt(packed, to: .asn1(asn1), mgf1: mgf1)
            }
            let card = #"{"keyID":"\#(keyID)","data":"\#(data)","mode":\#(item.mode)}"#
            let response = await api.request("POST", "\(base)/accounts", body: tabaPayAccountBody(card: card), key: api.key)
            #expect(response.status == 200, "\(item): \(response.body)")
            #expect(response.json?["card"] as? [String: String]
                    == ["last4": String(item.pan.suffix(4)), "expirationDate": "2031\(String(index + 1).leftPadded(to: 2))"])
            let accountID = try #require(response.json?["accountID"] as? String)
            let revealed = await api.request("POST", "/vault/v1/cards/\(accountID)/reveal", key: api.key)
            #expect(revealed.json?["number"] as? String == item.pan)
        }
        #expect(try !file(api.test.databasePath, containsAnyOf: Set(cases.map(\.pan))))
    }

    @Test("Every decryption failure is one identical answer; wrong, deleted and expired keys have their own")
    func failures() async throws {
        let api = try await APIHarness.make()
        let base = "/v1/clients/\(api.client.rawValue)"
        let (keyID, _, der) = try await Self.createKey(api)
        func account(_ data: String, mode: Int = 2, keyID: String = keyID) async -> APIHarness.Response {
            await api.request("POST", "\(base)/accounts",
                              body: tabaPayAccountBody(card: #"{"keyID":"\#(keyID)","data":"\#(data)","mode":\#(mode)}"#), key: api.key)
        }
        let good = try await opensslEncrypt("4111111111111111|203012|", publicKeyDER: der, mgf1: "sha256", in: api.test.directory)
        var flipped = Base64URL.decode(good)!
        flipped[17] ^= 0x40
        let undecryptable = [
            Base64URL.encode(flipped),
            "AAAA",
            try await opensslEncrypt("4111111111111112|203012|", publicKeyDER: der, mgf1: "sha256", in: api.test.directory),
            try await opensslEncrypt("4111111111111111/203012", publicKeyDER: der, mgf1: "sha256", in: api.test.directory),
            try await opensslEncrypt("4111111111111111|203012|", publicKeyDER: der, mgf1: "sha1", in: api.test.directory),
        ]
        var bodies: Set<String> = []
        for data in undecryptable {
            let response = await account(data)
            #expect(response.status == 400 && response.em == "card.data", "\(response.body)")
            bodies.insert(response.body)
        }
        #expect(bodies.count == 1, "one identical answer for every decryption failure: \(bodies)")

        let wrongKey = await account(good, keyID: KeyID.generate().rawValue)
        #expect(wrongKey.status == 404 && wrongKey.em == "KeyID")

        api.clock.now += 366 * 24 * 3600
        let expired = await account(good)
        #expect(expired.status == 400 && expired.em == "Key Expired")
        api.clock.now -= 366 * 24 * 3600

        #expect(await account(good).status == 200)
        #expect(await api.request("DELETE", "\(base)/keys/\(keyID)", key: api.key).status == 200)
        let deleted = await account(good)
        #expect(deleted.status == 410 && deleted.em == "Key Deleted")
        #expect(try await api.test.vault.cardCount() == 1)
    }

    /// A new key of the harness's client: its keyID, its ASN.1 form as served, and the DER bytes.
    static func createKey(_ api: APIHarness) async throws -> (keyID: String, asn1: String, der: [UInt8]) {
        let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/keys", body: #"{"format":"ASN.1"}"#, key: api.key)
        let asn1 = try #require(created.json?["key"] as? String)
        return (try #require(created.json?["keyID"] as? String), asn1, try #require(Base64URL.decode(asn1)))
    }

    @Test("A single-use card token from the native API creates an account once")
    func singleUseToken() async throws {
        let api = try await APIHarness.make()
        let issued = await api.request("POST", "/vault/v1/card-tokens",
                                       body: #"{"number":"4111111111111111","expirationDate":"203012","securityCode":"123"}"#, key: api.key)
        let token = try #require(issued.json?["cardToken"] as? String)
        let body = tabaPayAccountBody(card: #"{"token":"\#(token)"}"#)
        let created = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts", body: body, key: api.key)
        #expect(created.status == 200, "\(created.body)")
        #expect(created.json?["card"] as? [String: String] == ["last4": "1111", "expirationDate": "203012"])
        let reused = await api.request("POST", "/v1/clients/\(api.client.rawValue)/accounts", body: body, key: api.key)
        #expect(reused.status == 400 && reused.em == "card.token")
    }
}
