#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import COpenSSL

/// Bytes from OpenSSL's CSPRNG (`RAND_bytes`), for keys, nonces, tokens and identifiers.
///
/// There is no recoverable failure: if the CSPRNG cannot produce bytes, nothing secret can be
/// made safely, so the process stops rather than continue with weak randomness.
///
/// Small draws (nonces, tokens: up to 256 bytes) come from a per-thread buffer refilled 4 KiB at
/// a time, because each `RAND_bytes` call costs more than an AES-GCM seal whatever its length.
/// Every byte is handed out once and zeroed in the buffer as it is taken; a forked child discards
/// its copy of the buffer, so parent and child never share a value.
public enum SecureRandom {
    /// `count` random bytes in an ordinary array (for nonces, tokens, identifiers).
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes(count:) needs a count >= 0")
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// Fills `buffer` with random bytes as ``bytes(count:)`` draws them, without allocating:
    /// for values made on every request, such as a request ID drawn into a stack buffer.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        if buffer.count <= RandomPool.largestDraw {
            RandomPool.forCurrentThread().take(into: buffer)
        } else {
            draw(buffer)
        }
    }

    /// `count` random bytes in wiped-on-release storage (for keys). Drawn straight from
    /// `RAND_bytes` into the storage, never through a shared buffer.
    public static func secretBytes(count: Int) -> SecretBytes {
        precondition(count >= 0, "SecureRandom.secretBytes(count:) needs a count >= 0")
        return SecretBytes(count: count) { draw($0) }
    }

    /// Fills `buffer` directly from the CSPRNG.
    static func draw(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        var offset = 0
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, maximumChunk)
            guard RAND_bytes(base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), Int32(chunk)) == 1 else {
                let reason = CryptoError.openSSL("RAND_bytes")
                fatalError("CSPRNG failure: \(reason)")
            }
            offset += chunk
        }
    }
}

/// One thread's buffer of CSPRNG output. Reached only through thread-specific storage, so only
/// its own thread ever touches it (no locks, and it never crosses threads).
final class RandomPool {
    static let size = 4096
    static let largestDraw = 256

    private let buffer: UnsafeMutableRawPointer
    /// Bytes before `next` have been handed out (and zeroed) or discarded.
    private var next: Int

    private init() {
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.size, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.size)
        next = Self.size
    }

    deinit {
        OPENSSL_cleanse(buffer, Self.size)
        buffer.deallocate()
    }

    func take(into destination: UnsafeMutableRawBufferPointer) {
        guard let target = destination.baseAddress, !destination.isEmpty else { return }
        let count = destination.count
        if Self.size - next < count {
            SecureRandom.draw(UnsafeMutableRawBufferPointer(start: buffer, count: Self.size))
            next = 0
        }
        let source = buffer.advanced(by: next)
        target.copyMemory(from: source, byteCount: count)
        OPENSSL_cleanse(source, count)
        next += count
    }

    /// Throws away everything not yet handed out.
    func discard() {
        OPENSSL_cleanse(buffer, Self.size)
        next = Self.size
    }

    static func forCurrentThread() -> RandomPool {
        if let existing = pthread_getspecific(threadKey) {
            return Unmanaged<RandomPool>.fromOpaque(existing).takeUnretainedValue()
        }
        let pool = RandomPool()
        guard pthread_setspecific(threadKey, Unmanaged.passRetained(pool).toOpaque()) == 0 else {
            fatalError("pthread_setspecific failed")
        }
        return pool
    }

    /// The thread-specific slot. Its destructor releases a thread's pool when the thread exits;
    /// the fork handler empties the forking thread's pool in the child (the only thread there).
    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        guard pthread_key_create(&key, { RandomPool.release($0) }) == 0 else {
            fatalError("pthread_key_create failed")
        }
        guard pthread_atfork(nil, nil, { RandomPool.discardInForkedChild() }) == 0 else {
            fatalError("pthread_atfork failed")
        }
        return key
    }()

    /// The thread-exit destructor (its pointer is optional on Glibc, not on Darwin).
    private static func release(_ pool: UnsafeMutableRawPointer?) {
        guard let pool else { return }
        Unmanaged<RandomPool>.fromOpaque(pool).release()
    }

    private static func discardInForkedChild() {
        guard let existing = pthread_getspecific(threadKey) else { return }
        Unmanaged<RandomPool>.fromOpaque(existing).takeUnretainedValue().discard()
    }
}
