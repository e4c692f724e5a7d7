#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COpenSSL

/// Keeps key material out of places a process leaks it to: core files, swap, and the environment
/// block that `/proc/PID/environ` shows for the life of the process. The command line calls this
/// first thing, before any secret is read.
public enum ProcessHardening {
    /// What `apply` achieved, for the server to log.
    public struct Report: Sendable, Equatable {
        /// The core-file limit is 0 (soft and hard), so the kernel writes no core file.
        public var coreDumpsDisabled: Bool
        /// The process is not dumpable: no core file even through a pipe handler, no ptrace by
        /// other processes of the same user, and `/proc/PID` files owned by root.
        public var isDumpable: Bool
        public var secureHeap: SecureMemory.Status
    }

    /// Disables core dumps and sets up the secure heap, as large as the memlock limit can lock
    /// (`SecureMemory.arenaBytes(lockLimit:)`). Nothing here can be undone by the process later
    /// (the hard limit stays 0).
    public static func apply() -> Report {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        let limited = setrlimit(resource(RLIMIT_CORE), &none) == 0
        _ = coffer_set_dumpable(0)
        var lockable = rlimit()
        let lockLimit = getrlimit(resource(__RLIMIT_MEMLOCK), &lockable) == 0 ? UInt64(lockable.rlim_cur) : 0
        return Report(coreDumpsDisabled: limited, isDumpable: coffer_get_dumpable() != 0,
                      secureHeap: SecureMemory.initialize(arenaBytes: SecureMemory.arenaBytes(lockLimit: lockLimit)))
    }

    /// Removes `name` from the environment and returns its value in the secure heap, or
    /// nil when it is not set. Every `name=value` entry's bytes are overwritten where they lie —
    /// in the block the kernel set up at exec, which `/proc/PID/environ` reads — after the entry
    /// is unset, so neither the environment nor that file shows it any more. Call it before
    /// anything copies the environment (Foundation's `ProcessInfo` does).
    public static func takeEnvironmentVariable(_ name: String) -> SecretBytes? {
        let prefix = name + "="
        let prefixLength = prefix.utf8.count
        var entries: [UnsafeMutablePointer<CChar>] = []
        if var cursor = coffer_environment() {
            while let entry = cursor.pointee {
                if strncmp(entry, prefix, prefixLength) == 0 { entries.append(entry) }
                cursor += 1
            }
        }
        guard let first = entries.first else { return nil }
        // getenv and unsetenv agree: the first entry is the value, and every entry goes.
        let value = UnsafeRawPointer(first + prefixLength)
        let length = strlen(first) - prefixLength
        let secret = SecretBytes(capacity: length, inSecureHeap: true) { buffer in
            buffer.baseAddress!.copyMemory(from: value, byteCount: length)
            return length
        }
        unsetenv(name)
        for entry in entries { OPENSSL_cleanse(entry, strlen(entry)) }
        return secret
    }

    private static func resource(_ resource: __rlimit_resource) -> __rlimit_resource_t {
        __rlimit_resource_t(resource.rawValue)
    }
}
