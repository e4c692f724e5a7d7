import Foundation
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A program the tests start — the built `coffer`, `curl`, `openssl`, `python3` — watched by a
/// thread of its own from spawn to exit, so no test blocks the cooperative pool on a pipe or in
/// `waitpid`.
///
/// Foundation's `Process` is not used: on Linux its `run()` reads `/proc/self/fd` with a dirent
/// over-read that crashes the test process now and then when many descriptors are open, which is
/// what parallel tests do (swift-corelibs-foundation PR #5472, in no released toolchain yet). Here
/// `posix_spawn` starts the child with its standard streams on pipes and every other descriptor
/// closed, so no child keeps another test's socket or pipe open; a pidfd tells when it exits and
/// signals it without any risk of reaching a recycled process id.
public final class ChildProcess: Sendable {
    /// How the child ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): "exited \(status)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// The child's end, as its watcher thread saw it.
    public struct Exit: Sendable {
        public var termination: Termination
        /// From spawn to exit, measured on the watcher thread (no pool scheduling delay in it).
        public var elapsed: Duration
        /// The child was still running when its time limit passed, and was killed.
        public var timedOut: Bool

        /// The exit status, or 128 + the signal's number for a killed child (as a shell reports it).
        public var status: Int32 {
            switch termination {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }
    }

    public let id: pid_t
    public let standardOutput = OutputBuffer()
    public let standardError = OutputBuffer()
    private let descriptor: ProcessDescriptor
    private let end = ExitState()

    /// Starts `executable` (a full path) with `arguments`. `environment` nil passes this process's
    /// own; `input` is written to the child's standard input, which then ends (it is /dev/null when
    /// nil). A child still running after `timeLimit` is killed with SIGKILL.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                input: Data? = nil, timeLimit: Duration? = nil) async throws {
        let (output, error, end) = (standardOutput, standardError, end)
        let spawned: Spawned = try await withCheckedThrowingContinuation { continuation in
            let watcher = Thread {
                let spawned: Spawned
                do {
                    spawned = try Spawned(executable, arguments, environment: environment, hasInput: input != nil)
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                continuation.resume(returning: spawned)
                end.record(Watcher(spawned: spawned, input: input, output: output, error: error).run(timeLimit: timeLimit))
            }
            watcher.name = "child-process"
            watcher.start()
        }
        id = spawned.id
        descriptor = spawned.descriptor
    }

    /// Sends `signal` to the child; does nothing once it has exited.
    public func signal(_ signal: Int32) {
        descriptor.send(signal)
    }

    /// Whether the child has exited (and its output streams ended), without waiting.
    public var hasExited: Bool { end.known != nil }

    /// Waits until the child has exited and both its output streams have ended.
    public func exit() async -> Exit {
        await end.value()
    }

    deinit {
        // A test that stops early must not leave its server running.
        descriptor.send(SIGKILL)
    }
}

enum ChildProcessError: Error, CustomStringConvertible {
    case call(String, errno: Int32)
    case unsupported(String)

    var description: String {
        switch self {
        case let .call(name, code): "\(name) failed: \(String(cString: strerror(code)))"
        case .unsupported(let name): "\(name) is missing: the tests need glibc 2.36 and Linux 5.3"
        }
    }
}

/// The Linux calls Glibc's Swift module leaves out (they are declared only under `_GNU_SOURCE`),
/// looked up once by name.
private enum LinuxCalls {
    typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
    typealias PidfdSendSignal = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let pidfdOpen = symbol("pidfd_open", as: PidfdOpen.self)
    static let pidfdSendSignal = symbol("pidfd_send_signal", as: PidfdSendSignal.self)
    static let addCloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self)

    private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: type) }
    }
}

/// A pidfd, closed when neither the `ChildProcess` nor its watcher needs it any more.
private final class ProcessDescriptor: Sendable {
    let fd: Int32

    init(_ fd: Int32) { self.fd = fd }

    /// After the child is reaped the kernel refuses (ESRCH): a pidfd never names another process.
    func send(_ signal: Int32) {
        _ = LinuxCalls.pidfdSendSignal?(fd, signal, nil, 0)
    }

    deinit { close(fd) }
}

/// The child's `Exit`, once known, for every test task awaiting it.
private final class ExitState: Sendable {
    private let state = Mutex<(exit: ChildProcess.Exit?, waiters: [CheckedContinuation<ChildProcess.Exit, Never>])>((nil, []))

    func record(_ exit: ChildProcess.Exit) {
        let waiters = state.withLock { state in
            state.exit = exit
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: exit) }
    }

    var known: ChildProcess.Exit? { state.withLock { $0.exit } }

    func value() async -> ChildProcess.Exit {
        await withCheckedContinuation { continuation in
            let known = state.withLock { state in
                if state.exit == nil { state.waiters.append(continuation) }
                return state.exit
            }
            if let known { continuation.resume(returning: known) }
        }
    }
}

/// A child just spawned: its id, pidfd and this process's ends of its pipes.
private struct Spawned: @unchecked Sendable {
    // Unchecked: plain descriptors and a final class that is itself Sendable; the struct moves
    // from the watcher thread to the test once, through a continuation.
    var id: pid_t
    var descriptor: ProcessDescriptor
    var input: Int32?
    var output: Int32
    var error: Int32
    var started: ContinuousClock.Instant

    init(_ executable: String, _ arguments: [String], environment: [String: String]?, hasInput: Bool) throws {
        guard let addCloseFrom = LinuxCalls.addCloseFrom else {
            throw ChildProcessError.unsupported("posix_spawn_file_actions_addclosefrom_np")
        }
        guard let pidfdOpen = LinuxCalls.pidfdOpen, LinuxCalls.pidfdSendSignal != nil else {
            throw ChildProcessError.unsupported("pidfd_open")
        }
        // A child that exits without reading its input must fail the write, not kill the tests.
        _ = ignoresBrokenPipes
        let inputPipe = hasInput ? try Self.pipe(nonblocking: \.write) : nil
        let outputPipe = try Self.pipe(nonblocking: \.read), errorPipe = try Self.pipe(nonblocking: \.read)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let inputPipe {
            posix_spawn_file_actions_adddup2(&actions, inputPipe.read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe.write, 2)
        _ = addCloseFrom(&actions, 3)

        // Default dispositions and an empty mask, whatever this process ignores (SIGPIPE) or blocks.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        sigemptyset(&empty)
        for signal: Int32 in 1..<32 where signal != SIGKILL && signal != SIGSTOP { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = CStrings([executable] + arguments)
        let envp = environment.map { CStrings($0.map { "\($0.key)=\($0.value)" }) }
        var pid: pid_t = 0
        let spawnResult = argv.withPointers { argv in
            if let envp {
                envp.withPointers { posix_spawn(&pid, executable, &actions, &attributes, argv, $0) }
            } else {
                posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
            }
        }
        let started = ContinuousClock.now
        for fd in [inputPipe?.read, outputPipe.write, errorPipe.write].compactMap({ $0 }) { close(fd) }
        guard spawnResult == 0 else {
            for fd in [inputPipe?.write, outputPipe.read, errorPipe.read].compactMap({ $0 }) { close(fd) }
            throw ChildProcessError.call("posix_spawn \(executable)", errno: spawnResult)
        }
        let pidfd = pidfdOpen(pid, 0)
        guard pidfd >= 0 else { throw ChildProcessError.call("pidfd_open", errno: errno) }

        id = pid
        descriptor = ProcessDescriptor(pidfd)
        input = inputPipe?.write
        output = outputPipe.read
        error = errorPipe.read
        self.started = started
    }

    typealias Pipe = (read: Int32, write: Int32)

    /// A pipe whose ends this process does not pass on: `posix_spawn` gives the child copies on
    /// 0, 1 and 2 and closes everything else, so a child spawned at the same time by another test
    /// never holds an end open. Only this process's end is non-blocking (the flag is shared with
    /// every copy of that end, and the child's must block).
    private static func pipe(nonblocking ours: KeyPath<Pipe, Int32>) throws -> Pipe {
        var fds: [Int32] = [0, 0]
        guard Glibc.pipe(&fds) == 0 else { throw ChildProcessError.call("pipe", errno: errno) }
        let pipe = (read: fds[0], write: fds[1])
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(pipe[keyPath: ours], F_SETFL, fcntl(pipe[keyPath: ours], F_GETFL) | O_NONBLOCK)
        return pipe
    }
}

/// SIGPIPE ignored in this process, once.
private let ignoresBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

/// NUL-terminated copies of strings with a terminating null pointer, as `argv` and `envp` want.
private struct CStrings {
    private var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func withPointers<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The loop on the watcher thread: feeds the input, drains both output pipes, notices the exit
/// through the pidfd, kills the child at its time limit, and reaps it.
private struct Watcher {
    var spawned: Spawned
    var input: Data?
    var output: OutputBuffer
    var error: OutputBuffer

    func run(timeLimit: Duration?) -> ChildProcess.Exit {
        var inputFD = spawned.input, written = 0
        var streams: [(fd: Int32, buffer: OutputBuffer)] = [(spawned.output, output), (spawned.error, error)]
        let deadline = timeLimit.map { spawned.started + $0 }
        var timedOut = false
        var exitedAt: ContinuousClock.Instant?
        var chunk = [UInt8](repeating: 0, count: 65_536)

        func closeInput() {
            if let fd = inputFD { close(fd) }
            inputFD = nil
        }
        /// Reads what `stream` holds; false at its end (or on an error), when it is closed.
        func drain(_ index: Int) -> Bool {
            while true {
                let count = chunk.withUnsafeMutableBytes { read(streams[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    streams[index].buffer.append(chunk[0..<count])
                } else if count < 0 && errno == EINTR {
                    continue
                } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    return true
                } else {
                    close(streams[index].fd)
                    streams[index].buffer.finish()
                    return false
                }
            }
        }

        while exitedAt == nil {
            var fds = [pollfd(fd: spawned.descriptor.fd, events: Int16(POLLIN), revents: 0)]
            fds += streams.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            if let inputFD { fds.append(pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0)) }
            var timeout: Int32 = -1
            if let deadline, !timedOut {
                let left = deadline - ContinuousClock.now
                timeout = left <= .zero ? 0 : Int32(clamping: left.components.seconds * 1000
                    + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 { continue }  // EINTR
            if ready == 0 {
                timedOut = true
                spawned.descriptor.send(SIGKILL)
                continue
            }
            if fds[0].revents != 0 { exitedAt = .now }
            for index in streams.indices.reversed() where fds[1 + index].revents != 0 {
                if !drain(index) { streams.remove(at: index) }
            }
            if let fd = inputFD, let input, fds.last!.revents != 0 {
                let count = input.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if count > 0 { written += count }
                if count < 0 && errno != EAGAIN && errno != EINTR || written == input.count { closeInput() }
            }
        }
        // What the child wrote before it exited is in the pipes; a descendant still holding one
        // open does not keep the test waiting.
        for index in streams.indices where drain(index) {
            close(streams[index].fd)
            streams[index].buffer.finish()
        }
        closeInput()

        var status: Int32 = 0
        while waitpid(spawned.id, &status, 0) < 0 && errno == EINTR {}
        let termination: ChildProcess.Termination = status & 0x7f == 0
            ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        return ChildProcess.Exit(termination: termination, elapsed: exitedAt! - spawned.started, timedOut: timedOut)
    }
}
