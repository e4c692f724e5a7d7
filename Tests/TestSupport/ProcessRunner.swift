import Foundation

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// Standard output as bytes: some tools (openssl) write binary.
    public var output: Data
    public var standardError: String

    public var standardOutput: String { String(decoding: output, as: UTF8.self) }
}

/// Runs real programs — the built `coffer`, `openssl`, `python3` — as a user would; the test
/// targets' one way to reach an independent implementation.
public enum ProcessRunner {
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: Data? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe(), error = Pipe(), standardInput = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = standardInput
        try process.run()
        if let input { standardInput.fileHandleForWriting.write(input) }
        try standardInput.fileHandleForWriting.close()
        // Read both pipes before waiting, so a chatty child cannot fill a pipe and stall.
        let errorData = HandOver()
        Thread { errorData.put(error.fileHandleForReading.readDataToEndOfFile()) }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, output: outputData,
                             standardError: String(decoding: errorData.take(), as: UTF8.self))
    }

    /// Runs a Python snippet with `python3 -c`, arguments in `sys.argv[1:]`.
    public static func python(_ script: String, _ arguments: [String] = []) throws -> ProcessResult {
        try run("/usr/bin/env", ["python3", "-c", script] + arguments)
    }
}

/// Data handed from one thread to another exactly once.
final class HandOver: @unchecked Sendable {
    // Safe: `data` is written once before `ready.signal()` and read only after `ready.wait()`,
    // and the semaphore orders the two.
    private var data = Data()
    private let ready = DispatchSemaphore(value: 0)

    func put(_ value: Data) {
        data = value
        ready.signal()
    }

    func take() -> Data {
        ready.wait()
        return data
    }
}
