/// The RSA encryption paddings Coffer accepts, named by their hash and MGF1 hash so that each
/// maps to exactly one interoperable scheme.
public enum RSAPadding: Sendable, Hashable, CaseIterable {
    /// OAEP with SHA-256 and MGF1-SHA-256 (TabaPay mode 2): the default.
    case oaepSHA256MGF1SHA256
    /// OAEP with SHA-256 and MGF1-SHA-1, Java's `OAEPWithSHA-256AndMGF1Padding` (TabaPay mode 1).
    case oaepSHA256MGF1SHA1
    /// PKCS#1 v1.5 (TabaPay mode 0). Invites padding-oracle attacks: only when explicitly enabled.
    case pkcs1v15
}
