import Foundation
import VaultCore
import VaultCrypto

/// Runs the shell command that hands over a master key, the way a key-management service's
/// command line does: `/bin/sh -c COMMAND`, whose standard output is the key (read straight into
/// wiped storage), whose standard error passes through to ours, with `/dev/null` as input.
///
/// It runs on a thread of its own, never on Swift's cooperative pool, in a process group of its
/// own so that on timeout the whole group — the shell and whatever it started — is killed.
enum KeyCommand {
    static let defaultTimeout: Duration = .seconds(30)

    static func run(_ command: String, timeout: Duration) async throws(CLIError) -> SecretBytes {
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<SecretBytes, CLIError>, Never>) in
            Thread {
                continuation.resume(returning: Result { () throws(CLIError) in
                    try runBlocking(command, environment: environment, deadline: .now + timeout, timeout: timeout)
                })
            }.start()
        }
        return try result.get()
    }

    private static func runBlocking(_ command: String, environment: [String], deadline: ContinuousClock.Instant,
                                    timeout: Duration) throws(CLIError) -> SecretBytes {
        var output: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { throw failure("could not start: no pipe: \(String(cString: strerror(errno)))") }
        // Neither end may leak into the child beyond its standard output.
        for end in output { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(output[0]) }
        let spawned = spawn(command, environment: environment, standardOutput: output[1])
        close(output[1])
        let pid = try spawned.get()

        let key: SecretBytes
        do {
            key = try SecretBytes.read(from: output[0], atMost: MasterKey.maximumEncodedLength, before: deadline)
        } catch {
            kill(-pid, SIGKILL)
            _ = reap(pid, until: nil)
            throw failure(error == .timedOut ? "timed out after \(timeout.components.seconds) s" : "printed no readable key: \(error)")
        }
        let status: Int32
        switch reap(pid, until: deadline) {
        case .exited(let waitStatus):
            status = waitStatus
        case .timedOut:
            kill(-pid, SIGKILL)
            _ = reap(pid, until: nil)
            throw failure("timed out after \(timeout.components.seconds) s")
        case .lost(let code):
            kill(-pid, SIGKILL)
            throw failure("could not be waited for: \(String(cString: strerror(code)))")
        }
        switch (status & 0x7F, (status >> 8) & 0xFF) {
        case (0, 0): return key
        case (0, let code): throw failure("exited with status \(code)")
        case (let signal, _): throw failure("was killed by signal \(signal)")
        }
    }

    /// Starts `/bin/sh -c command` in a new process group, with default signal handling and an
    /// empty signal mask whatever this process set up.
    private static func spawn(_ command: String, environment: [String], standardOutput: Int32) -> Result<pid_t, CLIError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unmasked = sigset_t()
        sigemptyset(&unmasked)
        posix_spawnattr_setsigmask(&attributes, &unmasked)

        let arguments = ["/bin/sh", "-c", command].map { (text: String) in strdup(text) } + [nil]
        let variables = environment.map { (text: String) in strdup(text) } + [nil]
        defer { for pointer in arguments + variables { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments, variables)
        guard status == 0 else { return .failure(failure("could not start: \(String(cString: strerror(status)))")) }
        return .success(pid)
    }

    private enum Reaped {
        case exited(Int32)
        case timedOut
        /// `waitpid` failed (not by a signal): the child's outcome is unknown, so never a success.
        case lost(Int32)
    }

    /// The child's wait status once it exits, unless `deadline` passes first. Polls, so that a
    /// command that closed its output but keeps running cannot outlast the timeout.
    private static func reap(_ pid: pid_t, until deadline: ContinuousClock.Instant?) -> Reaped {
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if reaped == pid { return .exited(status) }
            if reaped < 0, errno != EINTR { return .lost(errno) }
            if let deadline {
                guard ContinuousClock.now < deadline else { return .timedOut }
                usleep(10_000)
            }
        }
    }

    private static func failure(_ reason: String) -> CLIError {
        .masterKeyCommandFailed(reason)
    }
}
