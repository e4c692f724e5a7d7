import HTTPServer
import JSONWebToken
import VaultCore

/// Reads the credential of an `Authorization` header: the scheme `Bearer` in any case (RFC 9110
/// §11.1), one or more spaces, then a token68 (RFC 9110 §11.2: `A–Z a–z 0–9 - . _ ~ + /`,
/// then `=` padding) of at most `HS256.maximumTokenLength` bytes. Anything else is the cause of
/// a failed authentication.
enum BearerCredential {
    case present(Substring)
    case refused(AuthenticationFailure)

    init(header: String?) {
        guard let header else { self = .refused(.missingCredential); return }
        // Bytes, not Characters: this runs on every request, and grapheme breaking is not free.
        let bytes = header.utf8, space = UInt8(ascii: " ")
        let schemeEnd = bytes.firstIndex(of: space) ?? bytes.endIndex
        guard bytes[..<schemeEnd].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else {
            self = .refused(.unsupportedScheme)
            return
        }
        let credential = header[(bytes[schemeEnd...].firstIndex { $0 != space } ?? bytes.endIndex)...]
        guard (1...HS256.maximumTokenLength).contains(credential.utf8.count), Self.isToken68(credential) else {
            self = .refused(.malformedCredential)
            return
        }
        self = .present(credential)
    }

    /// The request's bearer credential, or the refusal counted against the caller's source.
    static func require(_ request: HTTPRequest, vault: Vault, actor: AuditActor) async throws -> Substring {
        switch BearerCredential(header: request.headers["Authorization"]) {
        case .present(let credential): credential
        case .refused(let cause): try await vault.refuseAuthentication(cause, actor: actor)
        }
    }

    private static func isToken68(_ text: Substring) -> Bool {
        let body = text.utf8.reversed().drop { $0 == UInt8(ascii: "=") }
        return !body.isEmpty && body.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                true
            default:
                false
            }
        }
    }
}
