import Foundation
import JSONWebToken
import TestSupport
import Testing
import VaultCrypto

@Suite("Refusals", .ownThreads)
struct RefusalTests {
    let good = sequentialSigner.sign(ssoClaims())

    @Test func theUntamperedTokenVerifies() {
        #expect(refusal(good) == nil)
    }

    // MARK: Algorithm

    @Test("alg none, with an empty signature and with a valid HMAC")
    func algorithmNone() {
        let header = #"{"alg":"none","typ":"JWT"}"#
        let unsigned = Base64URL.encode(header.utf8) + "." + Base64URL.encode(validPayload.utf8) + "."
        #expect(refusal(unsigned) == .unsupportedAlgorithm)
        #expect(refusal(forge(header: header, payload: validPayload)) == .unsupportedAlgorithm)
        // Our own good signature moved under an alg-none header.
        let moved = unsigned + good.split(separator: ".")[2]
        #expect(refusal(moved) == .unsupportedAlgorithm)
    }

    @Test("any alg but exactly HS256, even correctly HMAC-SHA256-signed", arguments: [
        #"{"alg":"None"}"#, #"{"alg":"NONE"}"#, #"{"alg":"hs256"}"#, #"{"alg":"HS256 "}"#, #"{"alg":"HS384"}"#,
        #"{"alg":"HS512"}"#, #"{"alg":"RS256"}"#, #"{"alg":"ES256"}"#, #"{"alg":"PS256"}"#, #"{"alg":""}"#,
        #"{"alg":null}"#, #"{"alg":["HS256"]}"#, #"{"alg":{"name":"HS256"}}"#, #"{"typ":"JWT"}"#, #"{}"#,
    ])
    func otherAlgorithms(_ header: String) {
        #expect(refusal(forge(header: header, payload: validPayload)) == .unsupportedAlgorithm)
    }

    @Test("RS256 signed with the HMAC secret, which looks like a PEM public key (algorithm confusion)")
    func rs256Confusion() throws {
        let pem = """
            -----BEGIN PUBLIC KEY-----
            MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
            4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u
            -----END PUBLIC KEY-----

            """
        let pemBytes = Array(pem.utf8)
        let signer = try HS256(secret: SecretBytes(pemBytes))
        let token = forge(header: #"{"alg":"RS256","typ":"JWT"}"#, payload: validPayload, key: pemBytes)
        #expect(refusal(token, signer: signer) == .unsupportedAlgorithm)
        // The same forgery, honestly labelled HS256, is what that secret does accept.
        #expect(refusal(forge(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: validPayload, key: pemBytes), signer: signer) == nil)
    }

    @Test func headerParameters() {
        #expect(refusal(forge(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: validPayload)) == nil)
        for type in [#""jwt""#, #""JWS""#, #""application/jwt""#, "null", "1"] {
            #expect(refusal(forge(header: #"{"alg":"HS256","typ":\#(type)}"#, payload: validPayload)) == .unsupportedHeader("typ"))
        }
        #expect(refusal(forge(header: #"{"alg":"HS256","crit":["exp"],"exp":1}"#, payload: validPayload)) == .unsupportedHeader("crit"))
        #expect(refusal(forge(header: #"{"alg":"HS256","b64":false,"crit":["b64"]}"#, payload: validPayload)) == .unsupportedHeader("crit"))
        #expect(refusal(forge(header: #"{"alg":"HS256","crit":[]}"#, payload: validPayload)) == .unsupportedHeader("crit"))
    }

    @Test("duplicate members: no second alg, no second exp")
    func duplicateMembers() {
        #expect(refusal(forge(header: #"{"alg":"HS256","alg":"none"}"#, payload: validPayload))?.code == "malformed")
        #expect(refusal(forge(header: #"{"alg":"none","alg":"HS256"}"#, payload: validPayload))?.code == "malformed")
        let payload = #"{"exp":1700000300,"exp":1}"#
        #expect(refusal(forge(header: #"{"alg":"HS256"}"#, payload: payload))?.code == "malformed")
    }

    // MARK: Signature

    @Test("every single-bit change of the payload")
    func tamperedPayload() {
        let bits = Base64URL.decode(String(good.split(separator: ".")[1]))!.count * 8
        for bit in 0..<bits {
            #expect(refusal(flipping(bit: bit, ofSegment: 1, in: good)) == .badSignature, "payload bit \(bit)")
        }
    }

    @Test("every single-bit change of the signature, and a short or empty one")
    func tamperedSignature() {
        for bit in 0..<256 {
            #expect(refusal(flipping(bit: bit, ofSegment: 2, in: good)) == .badSignature, "signature bit \(bit)")
        }
        var segments = good.split(separator: ".").map(String.init)
        let signature = Base64URL.decode(segments[2])!
        for cut in [Array(signature.dropLast()), Array(signature.prefix(16)), [], signature + [0]] {
            segments[2] = Base64URL.encode(cut)
            #expect(refusal(segments.joined(separator: ".")) == .badSignature)
        }
    }

    @Test func wrongKey() throws {
        var key = sequentialKey
        key[31] ^= 0x80
        #expect(refusal(good, signer: try HS256(secret: SecretBytes(key))) == .badSignature)
        #expect(refusal(HS256(key: SymmetricKey.generate()).sign(ssoClaims())) == .badSignature)
    }

    @Test("a payload that is not a JSON object, correctly signed", arguments: [
        "[1,2]", #""claims""#, "null", "42", "true", "", "{", #"{"exp":1700000300}x"#, "{}{}",
        #"{"exp":1700000300,}"#, "{\"sub\":\"\u{1}\",\"exp\":1700000300}",
    ])
    func payloadNotAnObject(_ payload: String) {
        #expect(refusal(forge(header: #"{"alg":"HS256"}"#, payload: payload)) == .malformed(reason: "the payload is not a JSON object"))
    }

    @Test("a header that is not a JSON object", arguments: [#"["HS256"]"#, #""HS256""#, "", "{"])
    func headerNotAnObject(_ header: String) {
        #expect(refusal(forge(header: header, payload: validPayload)) == .malformed(reason: "the header is not a JSON object"))
    }

    // MARK: Shape

    @Test func segmentCount() {
        let segments = good.split(separator: ".").map(String.init)
        let malformed = JWTError.malformed(reason: "a token has exactly three segments")
        #expect(refusal(segments[0] + "." + segments[1]) == malformed)
        #expect(refusal(good + "." + segments[2]) == malformed)
        #expect(refusal(good + ".") == malformed)
        #expect(refusal("." + good) == malformed)
        #expect(refusal(segments.joined(separator: "..")) == malformed)
        #expect(refusal(segments.joined()) == malformed)
        #expect(refusal("") == malformed)
        #expect(refusal("..") == .malformed(reason: "the header is not a JSON object"))
    }

    @Test("padding, standard-Base64 characters, whitespace and other bytes in any segment")
    func notStrictBase64URL() {
        let notBase64URL = JWTError.malformed(reason: "a segment is not unpadded Base64URL")
        let segments = good.split(separator: ".").map(String.init)
        // The payload and signature lengths leave room for padding, which a lenient decoder would skip.
        #expect(segments[2].utf8.count % 4 == 3)
        for index in 0..<3 {
            var edits = [segments[index] + "=", segments[index] + "==", " " + segments[index], segments[index] + "\n",
                         segments[index] + "%3D", segments[index] + "\u{0}", segments[index] + "é"]
            // Standard Base64's alphabet in place of the URL-safe one.
            let standard = segments[index].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            if standard != segments[index] { edits.append(standard) }
            edits.append(String(segments[index].dropLast()) + "/")
            edits.append(String(segments[index].dropLast()) + "+")
            for edit in edits {
                var tampered = segments
                tampered[index] = edit
                #expect(refusal(tampered.joined(separator: ".")) == notBase64URL, "segment \(index): \(edit.debugDescription)")
            }
        }
        // Non-zero unused trailing bits (the last of 43 characters carries 2): a second spelling of
        // the same signature bytes.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var tampered = segments
        let last = alphabet.firstIndex(of: tampered[2].removeLast())!
        #expect(last % 4 == 0)
        tampered[2].append(alphabet[last + 1])
        #expect(refusal(tampered.joined(separator: ".")) == notBase64URL)
    }

    @Test("longer than 8 KiB is refused before parsing, even when correctly signed")
    func sizeCap() async throws {
        #expect(HS256.maximumTokenLength == 8192)
        // Grow a custom claim until the token is exactly at the cap (lengths ≡ 1 mod 4 do not exist),
        // on a thread of its own: a thousand signatures would hold a thread of the cooperative pool.
        let (atTheCap, padding, token) = await blocking {
            var claims = ssoClaims()
            var padding = 5000
            while true {
                claims.additional["padding"] = .string(String(repeating: "x", count: padding))
                let token = sequentialSigner.sign(claims)
                if token.utf8.count >= HS256.maximumTokenLength { return (claims, padding, token) }
                padding += 1
            }
        }
        #expect(token.utf8.count == HS256.maximumTokenLength)
        #expect(try sequentialSigner.verify(token, now: testDate) == atTheCap)
        var claims = atTheCap
        claims.additional["padding"] = .string(String(repeating: "x", count: padding + 1))
        let over = sequentialSigner.sign(claims)
        #expect(over.utf8.count == HS256.maximumTokenLength + 1)
        #expect(refusal(over) == .tooLarge)
        // Not even the segment count is looked at.
        #expect(refusal(String(repeating: "A", count: 100_000)) == .tooLarge)
        #expect(refusal(String(repeating: ".", count: 8193)) == .tooLarge)
    }
}
