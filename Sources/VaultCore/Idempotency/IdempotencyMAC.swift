import VaultCrypto

/// The keyed MACs that name and match recorded idempotent responses, so the store holds neither
/// the caller's `Idempotency-Key` nor anything from which a request's card data could be
/// recomputed without the master key (an unkeyed digest of a body holding a PAN and its security
/// code can be brute-forced from the BIN, last 4 and expiry stored beside it).
///
/// The key is the tenant's own, derived from its fingerprint key — which exists only wrapped
/// under the master key — as HKDF-Expand-SHA256(fingerprint key, `coffer-idempotency-key-v1`):
/// no new key to store, wrap or rotate, and another tenant's same request and key give other MACs.
/// Fingerprints are HMACs under the fingerprint key of PAN digits or of `bank|…`, never of the
/// label, so the derived key is never among the stored fingerprints.
///
/// Every input starts with a domain label and encodes each field as its byte count (32-bit
/// big-endian) followed by the bytes, so no two field lists share an encoding.
struct IdempotencyMAC: Sendable {
    static let derivationInfo = "coffer-idempotency-key-v1"
    static let lookupDomain = "coffer-idempotency-lookup-v1"
    static let requestDomain = "coffer-idempotency-request-v1"

    let key: SymmetricKey

    init(fingerprintKey: SymmetricKey) {
        key = HMACSHA256.derivedKey(from: fingerprintKey, info: Self.derivationInfo.utf8)
    }

    /// Names the record: `lookupDomain` ‖ field(tenant) ‖ field(credential kind) ‖ field(credential
    /// id) ‖ field(session) ‖ field(Idempotency-Key). The credential makes every API key and every
    /// SSO session a namespace of its own: another credential's same key finds nothing.
    func lookup(tenant: TenantID, credential: Principal.Credential, idempotencyKey: String) -> [UInt8] {
        let (kind, id, session): (String, String, String) = switch credential {
        case .apiKey(let id): ("api-key", id.rawValue, "")
        case .clientSession(let client, let tokenID): ("sso-session", client.rawValue, tokenID)
        case .profileSession(let login): ("profile-session", login.rawValue, "")
        case .signingCredential(let id): ("signing-credential", id.rawValue, "")
        }
        return mac(Self.lookupDomain, [tenant.rawValue, kind, id, session, idempotencyKey].map { Array($0.utf8) })
    }

    /// Matches a retry to the first request: `requestDomain` ‖ field(lookup) ‖ field(method) ‖
    /// field(route) ‖ field(path) ‖ field(body). Bound to the lookup MAC, so equal requests under
    /// different records store different MACs.
    func request(lookup: [UInt8], method: String, route: String, path: String, body: [UInt8]) -> [UInt8] {
        mac(Self.requestDomain, [lookup, Array(method.utf8), Array(route.utf8), Array(path.utf8), body])
    }

    /// The encoding is built in a wiped buffer: a body may hold a card number and its security code.
    private func mac(_ domain: String, _ fields: [[UInt8]]) -> [UInt8] {
        let label = Array(domain.utf8)
        let length = label.count + fields.reduce(0) { $0 + MemoryLayout<UInt32>.size + $1.count }
        let message = SecretBytes(count: length) { buffer in
            var offset = 0
            func append(_ bytes: some Collection<UInt8>) {
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + bytes.count]).copyBytes(from: bytes)
                offset += bytes.count
            }
            append(label)
            for field in fields {
                withUnsafeBytes(of: UInt32(field.count).bigEndian) { append($0) }
                append(field)
            }
        }
        return HMACSHA256.authenticationCode(for: message, using: key)
    }
}
