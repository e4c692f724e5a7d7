import Foundation
import Synchronization

/// SIGTERM and SIGINT, caught from the first line of `main` by a handler that only writes the
/// signal's number into a pipe, and read from there by one thread of ours.
///
/// A handler, not a blocked mask: Swift's async `main` leaves the main thread in `sigsuspend`
/// with an empty mask, where a blocked signal is delivered anyway. And not a Dispatch signal
/// source, which sets `SIG_IGN` and registers its `signalfd` asynchronously: a SIGTERM sent in
/// between — `systemctl stop` right after start — was discarded and the server never stopped.
///
/// Until `coffer serve` subscribes, a signal does what it does by default — the process ends
/// with it — so Ctrl-C still stops `coffer backup` or `keys rotate`.
enum TerminationSignals {
    private static let subscriber = Mutex<AsyncStream<Int32>.Continuation?>(nil)

    /// Installs the handlers and starts the thread that reads what they write. Call once, first
    /// thing in `main`.
    static func takeOver() {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return }  // no descriptors left: the default actions stay
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        signalPipe = ends[1]  // initialized and set here, before a handler can read it
        for number in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                // Async-signal-safe: one write(2) of one byte to a descriptor set before the handler.
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipe, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
        let reader = Thread { [readEnd = ends[0]] in
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count < 0, errno == EINTR { continue }
                guard count == 1 else { return }
                let number = Int32(byte)
                let delivered = subscriber.withLock { $0.map { $0.yield(number) } }
                if delivered == nil { endByDefault(number) }
            }
        }
        reader.start()
    }

    /// The signals received from now on: the caller handles them instead of the default action.
    static func subscribe() -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        subscriber.withLock { $0 = continuation }
        return stream
    }

    /// Ends the process by `number` as if it had never been caught (exit status 128 + number).
    private static func endByDefault(_ number: Int32) -> Never {
        signal(number, SIG_DFL)
        raise(number)
        exit(128 + number)
    }
}

/// The pipe's write end, for the handlers: set once before any handler is installed, only read
/// afterwards. (A global, not a static: a C function pointer cannot capture its type.)
nonisolated(unsafe) private var signalPipe: Int32 = -1
