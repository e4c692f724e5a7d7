import COpenSSL

/// SHA-256, for unkeyed digests: hashing API keys for storage, chaining audit entries, checksums.
/// (Anything derived from a card number needs a key: use `HMACSHA256`.)
public enum SHA256 {
    /// The length of a SHA-256 digest: 32 bytes.
    public static let byteCount = 32

    public static func hash(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { digest($0) }
    }

    public static func hash(_ data: SecretBytes) -> [UInt8] {
        data.withUnsafeBytes { digest($0) }
    }

    /// For any byte sequence, e.g. `string.utf8`; non-contiguous input is first copied into an
    /// ordinary array.
    public static func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        if let result = data.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return hash(Array(data))
    }

    /// One-shot `EVP_Digest` with the SHA-256 implementation fetched once.
    private static func digest(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        let md: OpaquePointer
        do { md = try Algorithms.sha256.get() } catch { fatalError("SHA-256 unavailable: \(error)") }
        return [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            var length: UInt32 = 0
            var empty: UInt8 = 0  // a non-null pointer for empty input
            let ok = withUnsafePointer(to: &empty) { empty in
                EVP_Digest(data.baseAddress ?? UnsafeRawPointer(empty), data.count, out.baseAddress, &length, md, nil) == 1
            }
            guard ok, length == UInt32(byteCount) else {
                fatalError("SHA-256 failed: \(CryptoError.openSSL("EVP_Digest"))")
            }
            initialized = Int(length)
        }
    }
}
