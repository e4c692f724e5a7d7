import Foundation
import TestSupport
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
    static func isAvailable() async -> Bool {
        (try? await run("import jwt")) != nil
    }

    static let missing: Comment = "needs python3 with PyJWT: pip install pyjwt"

    /// Runs `script` with `arguments` in `sys.argv[1:]`; returns its standard output without the
    /// final newline, or throws `Failure` if it exits non-zero.
    @discardableResult
    static func run(_ script: String, _ arguments: String...) async throws -> String {
        let result = try await ProcessRunner.python(script, arguments)
        guard result.status == 0 else { throw Failure(status: result.status, standardError: result.standardError) }
        var text = result.standardOutput
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
