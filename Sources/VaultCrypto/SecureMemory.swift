import COpenSSL
import Synchronization

/// OpenSSL's secure heap, where keys live once a process has set it up: one arena mapped apart
/// from the ordinary heap, between guard pages, marked `MADV_DONTDUMP` (never written to a core
/// file) and locked in RAM (never swapped) when the memlock limit allows.
///
/// OpenSSL 3 allocates its own private-key numbers there as well, and an exhausted arena makes
/// those allocations fail instead of falling back (`CRYPTO_secure_malloc` returns NULL). So
/// `SecretBytes` take at most a quarter of the arena and use the ordinary heap beyond that (and
/// whenever the arena is full); either way their bytes are wiped on release. Its allocator takes
/// a global lock and splits and merges blocks on every call (about 2 µs a pair), which is why
/// only long-lived secrets ask for it (`SecretBytes.inSecureHeap()`).
public enum SecureMemory {
    /// What `initialize` achieved.
    public enum Status: String, Sendable {
        /// The arena is locked in RAM and excluded from core dumps.
        case locked
        /// The arena exists but could not be fully protected: OpenSSL reports a failed `mlock`
        /// (memlock limit), guard page or `madvise` as one outcome.
        case unlocked
        /// No arena: secrets stay on the ordinary heap.
        case unavailable
    }

    /// 8 MiB: the arena's pages are locked as they are first touched, so little of it is resident.
    /// A parsed RSA-2048 private key takes about 1 KiB of it.
    public static let defaultArenaBytes = 1 << 23
    /// The largest arena `arenaBytes(lockLimit:)` picks.
    static let largestArenaBytes = 1 << 26

    /// The arena for a memlock limit: the largest power of two the limit can lock, between 8 and
    /// 64 MiB. Below 8 MiB the arena stays 8 MiB, unlocked: a smaller one would leave OpenSSL too
    /// little room for private keys, and locking is worth less than working.
    public static func arenaBytes(lockLimit: UInt64) -> Int {
        guard lockLimit < UInt64(largestArenaBytes) else { return largestArenaBytes }
        var arena = defaultArenaBytes
        while UInt64(arena) * 2 <= lockLimit { arena *= 2 }
        return arena
    }
    /// The smallest block the arena hands out; OpenSSL rounds every request up to a power of two.
    static let minimumBlock = 32

    private static let status = Mutex<Status?>(nil)
    /// Arena bytes `SecretBytes` may still take (0 until `initialize`).
    private static let budget = Atomic<Int>(0)

    /// Sets up the arena once per process; later calls change nothing and report the first
    /// outcome. Secrets made before it stay on the ordinary heap.
    @discardableResult
    public static func initialize(arenaBytes: Int = defaultArenaBytes) -> Status {
        precondition(arenaBytes >= 4096 && arenaBytes & (arenaBytes - 1) == 0, "the arena is a power of two of at least a page")
        return status.withLock { status in
            if let status { return status }
            let outcome: Status = switch CRYPTO_secure_malloc_init(arenaBytes, minimumBlock) {
            case 1: .locked
            case 2: .unlocked
            default: .unavailable
            }
            if outcome != .unavailable { budget.store(arenaBytes / 4, ordering: .relaxed) }
            status = outcome
            return outcome
        }
    }

    /// `byteCount` bytes: from the arena if `inArena` is asked for and the budget and the arena
    /// allow, else from the ordinary heap.
    static func allocate(_ byteCount: Int, inArena: Bool) -> (pointer: UnsafeMutableRawPointer, inArena: Bool) {
        if inArena {
            let block = blockSize(byteCount)
            if budget.subtract(block, ordering: .relaxed).newValue >= 0,
               let pointer = CRYPTO_secure_malloc(byteCount, nil, 0) {
                return (pointer, true)
            }
            budget.add(block, ordering: .relaxed)
        }
        return (UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16), false)
    }

    /// Wipes and frees what `allocate` returned.
    static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int, inArena: Bool) {
        if inArena {
            CRYPTO_secure_clear_free(pointer, byteCount, nil, 0)
            budget.add(blockSize(byteCount), ordering: .relaxed)
        } else {
            OPENSSL_cleanse(pointer, byteCount)
            pointer.deallocate()
        }
    }

    /// Whether `pointer` lies in the arena.
    static func contains(_ pointer: UnsafeRawPointer) -> Bool {
        CRYPTO_secure_allocated(pointer) == 1
    }

    /// What a request of `byteCount` takes from the arena: the next power of two, at least `minimumBlock`.
    private static func blockSize(_ byteCount: Int) -> Int {
        var block = minimumBlock
        while block < byteCount { block <<= 1 }
        return block
    }
}
