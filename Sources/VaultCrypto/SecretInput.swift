#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a secret could not be read from a file descriptor.
public enum SecretInputError: Error, Equatable, Sendable {
    /// More than the limit arrived: not the short secret expected.
    case tooLong(limit: Int)
    /// The deadline passed before the end of input.
    case timedOut
    /// `read` or `poll` failed with this `errno`.
    case failed(errno: Int32)
}

extension SecretInputError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .tooLong(let limit): "more than \(limit) bytes"
        case .timedOut: "timed out"
        case .failed(let number): String(cString: strerror(number))
        }
    }
}

extension SecretBytes {
    /// Reads `descriptor` to its end straight into wiped storage — a key file, or the pipe a key
    /// command prints to — so the secret never sits in an ordinary buffer. With a `deadline`, it
    /// waits with `poll` and gives up when the deadline passes. Blocks the calling thread: call it
    /// on a thread of your own, never on Swift's cooperative pool.
    public static func read(from descriptor: Int32, atMost limit: Int,
                            before deadline: ContinuousClock.Instant? = nil) throws(SecretInputError) -> SecretBytes {
        // One byte more than allowed, to tell "exactly the limit" from "too long".
        try SecretBytes(capacity: limit + 1) { (buffer) throws(SecretInputError) -> Int in
            var count = 0
            while true {
                if let deadline { try wait(for: descriptor, until: deadline) }
                let got = Glibc.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
                if got == 0 { return count }
                if got < 0 {
                    if errno == EINTR { continue }
                    throw .failed(errno: errno)
                }
                count += got
                guard count <= limit else { throw .tooLong(limit: limit) }
            }
        }
    }

    private static func wait(for descriptor: Int32, until deadline: ContinuousClock.Instant) throws(SecretInputError) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timedOut }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .failed(errno: errno) }
        }
    }
}
