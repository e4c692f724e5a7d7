import Foundation
import TestSupport

extension ProcessRunner {
    /// The `coffer` executable built next to this test bundle.
    static var cofferPath: String {
        if let path = ProcessInfo.processInfo.environment["COFFER_BINARY"] { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appending(path: "coffer")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return ".build/debug/coffer"
    }

    static func coffer(_ arguments: [String], environment: [String: String]? = nil,
                       timeLimit: Duration = .seconds(300)) async throws -> ProcessResult {
        try await run(cofferPath, arguments, environment: environment, timeLimit: timeLimit)
    }
}
