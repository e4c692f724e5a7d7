#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Reads and writes on a non-blocking socket without TLS, with the same outcomes as a
/// `TLSStream`, so that a connection's I/O path is one switch whichever it carries.
public enum PlainStream {
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 { return .done(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantsWrite: false)
            default: return .failed
            }
        }
    }

    /// Sends with `MSG_NOSIGNAL`: a peer that went away is `.failed`, not a SIGPIPE.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let count = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .done(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(wantsWrite: true)
            default: return .failed
            }
        }
    }
}
