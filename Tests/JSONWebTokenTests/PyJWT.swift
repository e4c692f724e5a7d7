import Foundation
import Testing

/// PyJWT, the independent implementation these tests cross-check against, run with `python3 -c`.
enum PyJWT {
    struct Failure: Error, CustomStringConvertible {
        let status: Int32
        let standardError: String
        var description: String { "python3 exited \(status): \(standardError)" }
    }

    /// Whether `python3` can import PyJWT. CI installs it (`.ci/run`); elsewhere the tests that
    /// need it are skipped with a message saying so.
    static let isAvailable = (try? run("import jwt")) != nil

    static let missing: Comment = "needs python3 with PyJWT: pip install pyjwt"

    /// Runs `script` with `arguments` in `sys.argv[1:]`; returns its standard output without the
    /// final newline, or throws `Failure` if it exits non-zero.
    @discardableResult
    static func run(_ script: String, _ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Outputs are a few hundred bytes, well under a pipe buffer: reading one pipe, then the
        // other, cannot stall the child.
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(status: process.terminationStatus, standardError: String(decoding: err, as: UTF8.self))
        }
        var text = String(decoding: out, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
