import Foundation

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    /// The exit status; 128 + the signal's number if the child was killed.
    public var status: Int32
    public var termination: ChildProcess.Termination
    /// Standard output as bytes: some tools (openssl) write binary.
    public var output: Data
    public var standardError: String
    /// From spawn to exit, measured on the thread that watched the child.
    public var elapsed: Duration

    public var standardOutput: String { String(decoding: output, as: UTF8.self) }
}

public enum ProcessRunnerError: Error, CustomStringConvertible {
    case timedOut(command: String, after: Duration, standardError: String)

    public var description: String {
        switch self {
        case let .timedOut(command, after, standardError): "\(command) was killed after \(after): \(standardError)"
        }
    }
}

/// Runs real programs — the built `coffer`, `openssl`, `python3`, `curl` — as a user would; the
/// test targets' one way to reach an independent implementation. The child runs and is waited
/// for on a thread of its own (`ChildProcess`): the awaiting test holds no pool thread.
public enum ProcessRunner {
    /// Runs `executable` (a full path) to its end. A child still running after `timeLimit` is
    /// killed and `ProcessRunnerError.timedOut` thrown: a hung tool fails its test instead of
    /// hanging the suite.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: Data? = nil, timeLimit: Duration = .seconds(300)) async throws -> ProcessResult {
        let child = try await ChildProcess(executable, arguments, environment: environment, input: input,
                                           timeLimit: timeLimit)
        let exit = await child.exit()
        guard !exit.timedOut else {
            throw ProcessRunnerError.timedOut(command: ([executable] + arguments).joined(separator: " "),
                                              after: timeLimit, standardError: child.standardError.text)
        }
        return ProcessResult(status: exit.status, termination: exit.termination, output: child.standardOutput.data,
                             standardError: child.standardError.text, elapsed: exit.elapsed)
    }

    /// Runs a Python snippet with `python3 -c`, arguments in `sys.argv[1:]`.
    public static func python(_ script: String, _ arguments: [String] = []) async throws -> ProcessResult {
        try await run("/usr/bin/env", ["python3", "-c", script] + arguments)
    }
}
