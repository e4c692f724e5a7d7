#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import COpenSSL

/// HMAC-SHA256, for keyed fingerprints (deduplicating cards without storing them in the clear)
/// and message authentication.
///
/// Runs per tokenize, so it is built for speed: the `EVP_MAC` is fetched once and each thread
/// keeps one SHA-256 HMAC context that is re-keyed on every call (about twice the rate of a
/// fresh context per call). The context keeps the last key's HMAC state until the next call on
/// that thread or the thread's exit, when OpenSSL wipes it; the keys live in the process anyway.
///
/// These functions do not throw: HMAC cannot fail for valid input, so a failure means OpenSSL
/// itself is broken (out of memory, provider missing) and the process stops.
public enum HMACSHA256 {
    /// The length of a full HMAC-SHA256 code: 32 bytes.
    public static let byteCount = 32

    public static func authenticationCode(for message: [UInt8], using key: SymmetricKey) -> [UInt8] {
        message.withUnsafeBytes { message in key.secret.withUnsafeBytes { key in code(message, key) } }
    }

    public static func authenticationCode(for message: SecretBytes, using key: SymmetricKey) -> [UInt8] {
        message.withUnsafeBytes { message in key.secret.withUnsafeBytes { key in code(message, key) } }
    }

    /// For any byte sequence, e.g. `string.utf8`; non-contiguous input is first copied into an
    /// ordinary (unwiped) array.
    public static func authenticationCode(for message: some Sequence<UInt8>, using key: SymmetricKey) -> [UInt8] {
        if let code = message.withContiguousStorageIfAvailable({ message in
            key.secret.withUnsafeBytes { key in code(UnsafeRawBufferPointer(message), key) }
        }) {
            return code
        }
        return authenticationCode(for: Array(message), using: key)
    }

    /// With a raw key of any length (RFC 2104 hashes keys longer than 64 bytes first).
    public static func authenticationCode(for message: [UInt8], using key: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { message in key.withUnsafeBytes { key in code(message, key) } }
    }

    /// With a secret key of any length.
    public static func authenticationCode(for message: [UInt8], using key: SecretBytes) -> [UInt8] {
        message.withUnsafeBytes { message in key.withUnsafeBytes { key in code(message, key) } }
    }

    /// Secret message, secret key of any length.
    public static func authenticationCode(for message: SecretBytes, using key: SecretBytes) -> [UInt8] {
        message.withUnsafeBytes { message in key.withUnsafeBytes { key in code(message, key) } }
    }

    /// A key for one purpose derived from a uniformly random key: HKDF-Expand-SHA256 (RFC 5869)
    /// with `info` and one 32-byte block, that is HMAC(key, info ‖ 0x01). No extract step: `key`
    /// is a random key already, never a password. The derived key never passes through an
    /// unwiped buffer.
    public static func derivedKey(from key: SymmetricKey, info: some Collection<UInt8>) -> SymmetricKey {
        let message = Array(info) + [0x01]
        let derived = SecretBytes(count: byteCount) { out in
            message.withUnsafeBytes { message in key.secret.withUnsafeBytes { key in code(message, key, into: out) } }
        }
        // 32 bytes: a valid key size.
        return try! SymmetricKey(derived)
    }

    /// Whether `code` is the HMAC of `message` under `key`, compared in constant time.
    /// A code of the wrong length (including a truncated one) is not valid.
    public static func isValidAuthenticationCode(_ code: [UInt8], for message: [UInt8], using key: SymmetricKey) -> Bool {
        constantTimeEquals(code, authenticationCode(for: message, using: key))
    }

    private static func code(_ message: UnsafeRawBufferPointer, _ key: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            code(message, key, into: UnsafeMutableRawBufferPointer(out))
            initialized = byteCount
        }
    }

    /// Writes the 32-byte code into `out`, which holds at least that many bytes.
    private static func code(_ message: UnsafeRawBufferPointer, _ key: UnsafeRawBufferPointer,
                             into out: UnsafeMutableRawBufferPointer) {
        let context = threadContext()
        var length = 0
        let ok = setKey(key, on: context)
            && (message.isEmpty || EVP_MAC_update(context, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1)
            && EVP_MAC_final(context, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, out.count) == 1
            && length == byteCount
        if !ok {
            let reason = CryptoError.openSSL("HMAC-SHA256")
            discardThreadContext(context)
            fatalError("HMAC-SHA256 failed: \(reason)")
        }
    }

    /// Keys (and resets) `context`. An empty key still needs a non-null pointer: OpenSSL reads a
    /// null key as "keep the previous one".
    private static func setKey(_ key: UnsafeRawBufferPointer, on context: OpaquePointer) -> Bool {
        if let base = key.baseAddress {
            return EVP_MAC_init(context, base.assumingMemoryBound(to: UInt8.self), key.count, nil) == 1
        }
        var empty: UInt8 = 0
        return EVP_MAC_init(context, &empty, 0, nil) == 1
    }

    /// This thread's HMAC-SHA256 context, created on first use.
    private static func threadContext() -> OpaquePointer {
        if let existing = pthread_getspecific(contextKey) { return OpaquePointer(existing) }
        let mac: OpaquePointer
        do { mac = try Algorithms.hmac.get() } catch { fatalError("HMAC-SHA256 unavailable: \(error)") }
        guard let context = coffer_EVP_MAC_CTX_new_hmac_sha256(mac) else {
            fatalError("HMAC-SHA256 context: \(CryptoError.openSSL("EVP_MAC_CTX_new"))")
        }
        guard pthread_setspecific(contextKey, UnsafeRawPointer(context)) == 0 else {
            EVP_MAC_CTX_free(context)
            fatalError("pthread_setspecific failed")
        }
        return context
    }

    private static func discardThreadContext(_ context: OpaquePointer) {
        _ = pthread_setspecific(contextKey, nil)
        EVP_MAC_CTX_free(context)
    }

    /// The thread-specific slot; its destructor frees (and OpenSSL wipes) a thread's context
    /// when the thread exits.
    private static let contextKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { context in
            EVP_MAC_CTX_free(OpaquePointer(context))
        }
        precondition(status == 0, "pthread_key_create failed")
        return key
    }()
}
