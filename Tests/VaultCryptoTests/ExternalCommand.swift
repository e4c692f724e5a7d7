import Foundation
import TestSupport

enum ExternalCommandError: Error, CustomStringConvertible {
    case failed(command: String, status: Int32, stderr: String)
    var description: String {
        switch self {
        case let .failed(command, status, stderr): "\(command) exited \(status): \(stderr)"
        }
    }
}

/// Runs an external program (openssl, python3) to cross-check VaultCrypto against other
/// implementations. Throws if the program exits non-zero.
@discardableResult
func runCommand(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let result = try await ProcessRunner.run(executable, arguments)
    guard result.status == 0 else {
        throw ExternalCommandError.failed(command: ([executable] + arguments).joined(separator: " "),
                                          status: result.status, stderr: result.standardError)
    }
    return result
}

@discardableResult
func openssl(_ arguments: String...) async throws -> ProcessResult {
    try await runCommand("/usr/bin/openssl", arguments)
}

@discardableResult
func python(_ script: String, _ arguments: String...) async throws -> ProcessResult {
    try await runCommand("/usr/bin/env", ["python3", "-c", script] + arguments)
}

/// A fresh directory for one test's files, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vaultcrypto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
