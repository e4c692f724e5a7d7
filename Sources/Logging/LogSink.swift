import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where formatted lines go.
///
/// A ``Logger`` hands a sink one complete line at a time: a JSON object, already redacted,
/// followed by `\n`, in UTF-8. A sink may be called from many threads at once.
public protocol LogSink: Sendable {
    func write(line: [UInt8])
}

/// Writes lines to a file descriptor: standard error (the default), standard output, or a file
/// opened by the caller (which keeps ownership: the sink never closes it).
///
/// Each line is written with one `write(2)` call under a lock, so lines from concurrent loggers
/// never interleave, even past `PIPE_BUF` or after a short write (the rest of the line follows
/// before any other line). `EINTR` is retried; `EAGAIN` on a non-blocking descriptor waits with
/// `poll` for up to a second (other lines wait meanwhile). On any other error the line is dropped and counted in
/// ``droppedLines``: logging never stops the service. (Writing to a closed pipe raises
/// `SIGPIPE`; a server ignores that signal.)
public final class StreamLogSink: LogSink {
    public let fileDescriptor: Int32
    private let lock = Mutex(())
    private let dropped = Atomic<Int>(0)

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    public static let standardError = StreamLogSink(fileDescriptor: 2)
    public static let standardOutput = StreamLogSink(fileDescriptor: 1)

    /// Lines lost to write errors since start.
    public var droppedLines: Int { dropped.load(ordering: .relaxed) }

    public func write(line: [UInt8]) {
        let complete = line.withUnsafeBytes { buffer in
            lock.withLock { _ in writeAll(buffer) }
        }
        if !complete { dropped.add(1, ordering: .relaxed) }
    }

    private func writeAll(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard var next = buffer.baseAddress else { return true }
        var remaining = buffer.count
        var waits = 0
        while remaining > 0 {
            let written = systemWrite(fileDescriptor, next, remaining)
            if written >= 0 {
                next += written
                remaining -= written
                continue
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                waits += 1
                guard waits <= 10 else { return false }
                var request = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&request, 1, 100)
            default:
                return false
            }
        }
        return true
    }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.write(fd, buffer, count)
    #elseif canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Musl.write(fd, buffer, count)
    #endif
}

/// Keeps lines in memory, for tests: ``lines`` are the JSON objects without their `\n`.
public final class CapturingLogSink: LogSink {
    private let captured = Mutex<[String]>([])

    public init() {}

    public func write(line: [UInt8]) {
        var text = String(decoding: line, as: UTF8.self)
        if text.utf8.last == UInt8(ascii: "\n") { text.removeLast() }
        captured.withLock { $0.append(text) }
    }

    public var lines: [String] { captured.withLock { $0 } }

    public func removeAll() {
        captured.withLock { $0.removeAll() }
    }
}
