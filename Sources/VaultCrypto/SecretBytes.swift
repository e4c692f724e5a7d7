import COpenSSL

/// Secret bytes owned by us, wiped with `OPENSSL_cleanse` when the last copy is released. Keys
/// are kept in the secure heap, out of core dumps and swap, once the process has set one up
/// (`inSecureHeap()`, `SecureMemory`).
///
/// Keys and plaintexts live here rather than in `[UInt8]`, whose buffers Swift frees without
/// wiping and may copy at will. Copies of a `SecretBytes` share one immutable buffer, so there is
/// exactly one place to wipe. Equality is constant-time, and the contents never appear in
/// `description`, `debugDescription`, `dump` or a mirror.
public struct SecretBytes: Sendable {
    let storage: SecretStorage

    /// Copies `bytes`; when they are not contiguous, the intermediate array is wiped too.
    public init(_ bytes: some Sequence<UInt8>) {
        if let storage = bytes.withContiguousStorageIfAvailable({ SecretStorage(copying: UnsafeRawBufferPointer($0)) }) {
            self.storage = storage
        } else {
            var copy = Array(bytes)
            storage = copy.withUnsafeBytes { SecretStorage(copying: $0) }
            copy.withUnsafeMutableBytes { wipe($0) }
        }
    }

    /// Allocates `count` zeroed bytes and lets `initializer` fill them in place, so the secret
    /// never passes through an unwiped buffer. If `initializer` throws, the bytes are wiped.
    public init<E: Error>(count: Int, initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        storage = try SecretStorage(capacity: count) { (buffer) throws(E) -> Int in
            try initializer(buffer)
            return count
        }
    }

    /// Allocates `capacity` bytes — in the secure heap if `inSecureHeap` and it has room — lets
    /// `initializer` fill a prefix and return its length: for secrets whose length is known only
    /// once read. If `initializer` throws, the bytes are wiped.
    public init<E: Error>(capacity: Int, inSecureHeap: Bool = false,
                          initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Int) throws(E) {
        storage = try SecretStorage(capacity: capacity, inSecureHeap: inSecureHeap, initializer: initializer)
    }

    /// These bytes in the secure heap: `self` if they are there already, else a copy there (or, if
    /// the heap has no room, an ordinary one). For long-lived secrets — keys — rather than the
    /// plaintexts of one request, which would pay OpenSSL's locked allocator on every request.
    public func inSecureHeap() -> SecretBytes {
        guard !storage.isInSecureHeap else { return self }
        return withUnsafeBytes { bytes in
            SecretBytes(capacity: bytes.count, inSecureHeap: true) { buffer in
                buffer.copyMemory(from: bytes)
                return bytes.count
            }
        }
    }

    /// The number of secret bytes.
    public var count: Int { storage.count }

    /// Calls `body` with the secret bytes. Do not let the pointer escape `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// An unprotected copy of the secret in an ordinary array, which nobody will wipe.
    ///
    /// For callers that must hand the bytes to an API taking `[UInt8]`; prefer `withUnsafeBytes`.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}

extension SecretBytes: Equatable {
    /// Constant-time in the contents (`CRYPTO_memcmp`); different lengths are simply unequal.
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        lhs.withUnsafeBytes { a in rhs.withUnsafeBytes { b in constantTimeEquals(a, b) } }
    }
}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecretBytes(\(count) bytes)" }
    public var debugDescription: String { description }
    /// Shows only the length, so `dump` and debuggers cannot reach the storage.
    public var customMirror: Mirror { Mirror(self, children: ["count": count], displayStyle: .struct) }
}

/// The one buffer behind a `SecretBytes` and its copies.
///
/// `@unchecked Sendable` is safe: the bytes are written only inside `init`, before the object can
/// be shared, and are read-only afterwards; `deinit` runs once, after the last reference is gone.
final class SecretStorage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    /// Bytes allocated, all of them wiped on release.
    let capacity: Int
    /// Bytes in use, a prefix of the allocation.
    let count: Int
    /// Whether the bytes live in the secure heap's arena (see `SecureMemory`).
    let isInSecureHeap: Bool

    init<E: Error>(capacity: Int, inSecureHeap: Bool = false,
                   initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Int) throws(E) {
        precondition(capacity >= 0, "SecretBytes count must not be negative")
        // Never a zero-byte allocation, so OpenSSL always sees a valid pointer.
        let (pointer, inArena) = SecureMemory.allocate(max(capacity, 1), inArena: inSecureHeap)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(capacity, 1))
        let used: Int
        do {
            used = try initializer(UnsafeMutableRawBufferPointer(start: pointer, count: capacity))
        } catch {
            SecureMemory.release(pointer, byteCount: max(capacity, 1), inArena: inArena)
            throw error
        }
        precondition(used >= 0 && used <= capacity, "SecretBytes initializer reported a bad length")
        self.pointer = pointer
        self.capacity = capacity
        self.count = used
        self.isInSecureHeap = inArena
    }

    convenience init(copying source: UnsafeRawBufferPointer) {
        self.init(capacity: source.count) { buffer in
            if let base = source.baseAddress, !source.isEmpty {
                buffer.baseAddress!.copyMemory(from: base, byteCount: source.count)
            }
            return source.count
        }
    }

    deinit {
        SecureMemory.release(pointer, byteCount: max(capacity, 1), inArena: isInSecureHeap)
    }
}
