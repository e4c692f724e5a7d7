import Foundation
import TestSupport
import Testing

/// `packaging/`: the systemd unit as systemd reads it, and the server started from its own
/// `ExecStart` line; `coffer --version` as the build embedded it.
@Suite("Packaging: the systemd unit and coffer --version", .ownThreads)
struct PackagingTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let unitPath = repository.appending(path: "packaging/coffer.service").path
    static let installedBinary = "/usr/local/bin/coffer"

    /// The unit's `[Service]` settings, `Key=value` per line (a key may repeat).
    static func settings() throws -> [(key: String, value: String)] {
        try String(contentsOfFile: unitPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    /// The unit with its ExecStart binary at this build's `coffer`: verify checks it exists.
    static func unitForThisBuild(in directory: TemporaryDirectory) throws -> String {
        let text = try String(contentsOfFile: unitPath, encoding: .utf8)
        #expect(text.contains("ExecStart=\(installedBinary) "))
        let path = directory.path("coffer.service")
        try text.replacing("ExecStart=\(installedBinary) ", with: "ExecStart=\(ProcessRunner.cofferPath) ")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("the unit carries the hardening the issue asks for")
    func hardening() throws {
        let settings = try Self.settings()
        let required = [
            "User": "coffer", "StateDirectory": "coffer", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
            "ProtectHome": "yes", "PrivateTmp": "yes", "LimitCORE": "0", "MemoryDenyWriteExecute": "yes",
            "CapabilityBoundingSet": "", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
            "SystemCallArchitectures": "native",
        ]
        for (key, value) in required {
            #expect(settings.contains { $0 == (key, value) }, "\(key)=\(value)")
        }
    }

    @Test("systemd-analyze verify accepts the unit without one warning", .enabled(if: isInstalled("systemd-analyze")))
    func systemdAnalyzeVerify() async throws {
        let directory = try TemporaryDirectory()
        let unit = try Self.unitForThisBuild(in: directory)
        let result = try await ProcessRunner.run("/usr/bin/env", ["systemd-analyze", "verify", unit])
        #expect(result.status == 0, "\(result.standardError)")
        // Unknown keys and bad values are warnings that keep the status 0: none is allowed.
        #expect(result.standardError.isEmpty, "\(result.standardError)")
    }

    /// Runs a command with no new privileges and, where the kernel has PR_SET_MDWE (6.3 and
    /// later), memory that is never both writable and executable — what `NoNewPrivileges=yes`
    /// and `MemoryDenyWriteExecute=yes` impose — then execs it. Says on stderr which applied.
    static let sandboxLauncher = """
        import ctypes, os, sys
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_NO_NEW_PRIVS, PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 38, 65, 1
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0: sys.exit("PR_SET_NO_NEW_PRIVS failed")
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) == 0:
            print("launcher: memory-deny-write-execute on", file=sys.stderr, flush=True)
        else:
            print("launcher: memory-deny-write-execute unsupported by this kernel", file=sys.stderr, flush=True)
        os.execv(sys.argv[1], sys.argv[1:])
        """

    @Test("the unit's ExecStart line, run as systemd would, serves /healthz under MemoryDenyWriteExecute")
    func execStartServes() async throws {
        let settings = try Self.settings()
        let execStart = try #require(settings.first { $0.key == "ExecStart" }?.value)
        #expect(!execStart.contains("\"") && !execStart.contains("'"), "split on blanks only")
        // The directories systemd makes for StateDirectory=, LoadCredential= and ConfigurationDirectory=,
        // named in the environment it gives the service.
        let directory = try TemporaryDirectory()
        let expanded = [
            "STATE_DIRECTORY": directory.path("state/coffer"),
            "CREDENTIALS_DIRECTORY": directory.path("credentials/coffer.service"),
            "CONFIGURATION_DIRECTORY": directory.path("etc/coffer"),
        ]
        for path in expanded.values { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        let credential = try #require(settings.first { $0.key == "LoadCredential" }?.value.split(separator: ":").first)
        let keyFile = expanded["CREDENTIALS_DIRECTORY"]! + "/" + credential
        let initialized = try await ProcessRunner.coffer(["init", "--data-dir", expanded["STATE_DIRECTORY"]!, "--master-key-file", keyFile])
        #expect(initialized.status == 0, "\(initialized.standardError)")
        try FileManager.default.copyItem(atPath: Self.repository.appending(path: "packaging/coffer.conf").path,
                                         toPath: expanded["CONFIGURATION_DIRECTORY"]! + "/coffer.conf")

        var words = execStart.split(separator: " ").map { word in
            expanded.reduce(String(word)) { $0.replacing("${\($1.key)}", with: $1.value) }
        }
        #expect(words.first == Self.installedBinary)
        words[0] = ProcessRunner.cofferPath
        #expect(!words.contains { $0.contains("$") }, "every variable expanded: \(words)")
        // The shipped configuration listens on 8080; the environment, which beats the file, moves it.
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }
        environment["COFFER_LISTEN"] = "127.0.0.1:0"
        let server = try await ChildProcess("/usr/bin/env", ["python3", "-c", Self.sandboxLauncher] + words,
                                            environment: environment)
        defer { server.signal(SIGKILL) }
        let started = await server.standardOutput.wait(within: .seconds(60), forText: "listening on ")
        #expect(started, "\(server.standardError.text)")
        let url = try #require(server.standardOutput.text.split(separator: "\n").first { $0.hasPrefix("listening on ") })
            .dropFirst("listening on ".count)
        let health = try await ProcessRunner.run("/usr/bin/env", ["curl", "-sS", "\(url)/healthz"])
        #expect(health.standardOutput == #"{"status":"ok"}"#, "\(health.standardError)")
        server.signal(SIGTERM)
        #expect(await server.exit().status == 0, "\(server.standardError.text)")
        #expect(server.standardError.text.contains("launcher: memory-deny-write-execute"))
        #expect(!server.standardError.text.contains(#""level":"error""#), "\(server.standardError.text)")
    }

    @Test("SIGTERM as soon as 'listening on' is printed drains and exits 0, as `systemctl stop` right after start")
    func stopRightAfterStart() async throws {
        // Before the fix, SIGTERM was only handled once start-up had finished after printing the
        // address: a stop in between killed the server (status 143) 2 times in 5 on an idle machine.
        let directory = try TemporaryDirectory()
        for round in 1...5 {
            let server = try await ServerProcess(serving: directory, dataDir: directory.path("data"), arguments: ["--dev"],
                                                 credentials: round == 1 ? nil : ("unused", "unused"))
            #expect(await server.stop() == 0, "round \(round): \(server.log)")
        }
    }

    @Test("coffer --version names VERSION and the commit checked out when it was built", .enabled(if: isInstalled("git")))
    func version() async throws {
        let expected = try String(contentsOf: Self.repository.appending(path: "VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let head = try await ProcessRunner.run("/usr/bin/env", ["git", "-C", Self.repository.path, "rev-parse", "HEAD"])
        try #require(head.status == 0, "not a git checkout: \(head.standardError)")
        let commit = head.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await ProcessRunner.coffer(["--version"])
        #expect(result.status == 0)
        #expect(result.standardOutput == "coffer \(expected) (commit \(commit))\n")
        // Nothing at run time asks git: the same answer with no git on PATH.
        let elsewhere = try await ProcessRunner.coffer(["--version"], environment: ["PATH": "/nonexistent"])
        #expect(elsewhere.standardOutput == result.standardOutput)
        #expect(try await ProcessRunner.coffer(["--help"]).standardOutput.contains("--version"))
    }
}

/// Whether `program` is on PATH.
private func isInstalled(_ program: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(program)")
    }
}
