import Foundation
import Synchronization
import TestSupport
import Testing

/// A real `coffer serve` on an ephemeral loopback port, driven with `curl`.
final class ServerProcess: @unchecked Sendable {
    // Safe: `process` and the pipes are set up in init and only read afterwards; `errorLog`
    // guards its own state.
    let directory: TemporaryDirectory
    let process: Process
    let baseURL: String
    let apiKey: String
    let tenantID: String
    private let errorLog = LogCollector()

    /// Extra `curl` options for every request, such as `--cacert` for a TLS server.
    let curlOptions: [String]

    /// `coffer serve --dev` in a new directory, with the credentials its first start prints.
    convenience init(extraArguments: [String] = [], curlOptions: [String] = []) throws {
        let directory = try TemporaryDirectory()
        try self.init(serving: directory, dataDir: directory.path("data"), arguments: ["--dev"] + extraArguments,
                      curlOptions: curlOptions)
    }

    /// `coffer serve --data-dir dataDir ARGUMENTS` in `directory`. `credentials` are those `coffer init`
    /// printed; without them the server must print them (`--dev` on a new directory). `launcher` runs
    /// the server through another program, such as `setpriv` to drop privileges.
    init(serving directory: TemporaryDirectory, dataDir: String, arguments: [String],
         credentials: (apiKey: String, tenantID: String)? = nil, environment: [String: String]? = nil,
         launcher: [String] = [], curlOptions: [String] = []) throws {
        self.curlOptions = curlOptions
        self.directory = directory
        process = Process()
        let command = launcher + [ProcessRunner.cofferPath, "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let environment { process.environment = environment }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let collector = errorLog
        error.fileHandleForReading.readabilityHandler = { handle in collector.append(handle.availableData) }
        try process.run()

        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while !text.contains("listening on "), Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let lines = text.split(separator: "\n").map(String.init)
        let printed = lines.first.flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] })
            .flatMap { printed in printed["apiKey"].flatMap { key in printed["tenantId"].map { (key, $0) } } }
        guard let (key, tenant) = credentials ?? printed,
              let listening = lines.first(where: { $0.hasPrefix("listening on ") })
        else {
            process.terminate()
            throw ServerError.didNotStart(text + collector.text)
        }
        apiKey = key
        tenantID = tenant
        baseURL = String(listening.dropFirst("listening on ".count))
    }

    enum ServerError: Error { case didNotStart(String) }

    /// Everything the server logged so far.
    var log: String { errorLog.text }

    /// Sends SIGTERM and returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    struct Response {
        var status: Int
        var body: String
        var headers: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    }

    /// One request with `curl`; `key` nil sends no Authorization header.
    func request(_ method: String, _ path: String, body: String? = nil, key: String? = nil,
                 headers: [String: String] = [:]) throws -> Response {
        var arguments = curlOptions + ["-sS", "-X", method, "-D", "-", "-o", "-", baseURL + path, "-H", "Content-Type: application/json"]
        if let key { arguments += ["-H", "Authorization: Bearer \(key)"] }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body { arguments += ["--data-binary", body] }
        let result = try ProcessRunner.run("/usr/bin/env", ["curl"] + arguments)
        let parts = result.standardOutput.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Response(status: status, body: parts.dropFirst().joined(separator: "\r\n\r\n"), headers: head)
    }
}

final class LogCollector: Sendable {
    private let data = Mutex(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}
