import Foundation
import TestSupport
import Testing

/// A real `coffer serve` on an ephemeral loopback port, driven with `curl`. The server, its
/// start-up wait and every `curl` run on threads of their own (`ChildProcess`), never on the
/// cooperative pool that in-process servers of other tests need.
final class ServerProcess: Sendable {
    let directory: TemporaryDirectory
    let process: ChildProcess
    let baseURL: String
    let apiKey: String
    let tenantID: String

    /// Extra `curl` options for every request, such as `--cacert` for a TLS server.
    let curlOptions: [String]

    /// `coffer serve --dev` in a new directory, with the credentials its first start prints.
    convenience init(extraArguments: [String] = [], curlOptions: [String] = []) async throws {
        let directory = try TemporaryDirectory()
        try await self.init(serving: directory, dataDir: directory.path("data"), arguments: ["--dev"] + extraArguments,
                            curlOptions: curlOptions)
    }

    /// `coffer serve --data-dir dataDir ARGUMENTS` in `directory` (without `--data-dir` when nil:
    /// ARGUMENTS name a `--database`). `credentials` are those `coffer init`
    /// printed; without them the server must print them (`--dev` on a new directory). `launcher` runs
    /// the server through another program, such as `setpriv` to drop privileges.
    init(serving directory: TemporaryDirectory, dataDir: String?, arguments: [String],
         credentials: (apiKey: String, tenantID: String)? = nil, environment: [String: String]? = nil,
         launcher: [String] = [], curlOptions: [String] = []) async throws {
        self.curlOptions = curlOptions
        self.directory = directory
        let location = dataDir.map { ["--data-dir", $0] } ?? []
        let command = launcher + [ProcessRunner.cofferPath, "serve"] + location + ["--listen", "127.0.0.1:0"] + arguments
        process = try await ChildProcess(command[0], Array(command.dropFirst()), environment: environment)
        // Start-up opens (and on first start creates) the vault: generous for a loaded machine.
        _ = await process.standardOutput.wait(within: .seconds(60), forText: "listening on ")
        let lines = process.standardOutput.text.split(separator: "\n").map(String.init)
        let printed = lines.first.flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] })
            .flatMap { printed in printed["apiKey"].flatMap { key in printed["tenantId"].map { (key, $0) } } }
        guard let (key, tenant) = credentials ?? printed,
              let listening = lines.first(where: { $0.hasPrefix("listening on ") })
        else {
            process.signal(SIGKILL)
            throw ServerError.didNotStart(process.standardOutput.text + process.standardError.text)
        }
        apiKey = key
        tenantID = tenant
        baseURL = String(listening.dropFirst("listening on ".count))
    }

    enum ServerError: Error { case didNotStart(String) }

    /// A card expiration month (YYYYMM) five years after the current one. The server checks
    /// expirations against the real clock, which tests of the real binary cannot pin.
    static let validExpiration: String = {
        let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year!
        return "\(year + 5)12"
    }()

    /// Everything the server logged so far.
    var log: String { process.standardError.text }

    /// Sends SIGTERM and returns the exit status once the server has exited. A server still
    /// running a minute later fails the test with its log, and is killed: a shutdown that hangs
    /// is a finding, never a test run that waits for ever.
    @discardableResult
    func stop() async -> Int32 {
        process.signal(SIGTERM)
        if await !waitUntil(within: .seconds(60), { [process] in process.hasExited }) {
            Issue.record("""
                coffer serve did not exit within 60 s of SIGTERM. Threads (name: kernel wait channel):
                \(threads())
                stdout:
                \(process.standardOutput.text)
                stderr:
                \(log)
                """)
            process.signal(SIGKILL)
        }
        return await process.exit().status
    }

    /// Each of the server's threads with where the kernel has it waiting, from /proc.
    private func threads() -> String {
        let tasks = "/proc/\(process.id)/task"
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return ids.sorted().map { id in
            func read(_ file: String) -> String {
                ((try? String(contentsOfFile: "\(tasks)/\(id)/\(file)", encoding: .utf8)) ?? "?")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return "\(read("comm")): \(read("wchan"))"
        }.joined(separator: "\n")
    }

    struct Response {
        var status: Int
        var body: String
        var headers: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    }

    /// One request with `curl`; `key` nil sends no Authorization header.
    func request(_ method: String, _ path: String, body: String? = nil, key: String? = nil,
                 headers: [String: String] = [:]) async throws -> Response {
        var arguments = curlOptions + ["-sS", "-X", method, "-D", "-", "-o", "-", baseURL + path, "-H", "Content-Type: application/json"]
        if let key { arguments += ["-H", "Authorization: Bearer \(key)"] }
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let body { arguments += ["--data-binary", body] }
        let result = try await ProcessRunner.run("/usr/bin/env", ["curl"] + arguments)
        let parts = result.standardOutput.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Response(status: status, body: parts.dropFirst().joined(separator: "\r\n\r\n"), headers: head)
    }
}
