import Foundation
import TestSupport
import Testing
import VaultCore

/// Where `coffer` takes the master key from: run as an operator would.
@Suite("Master key sources", .ownThreads)
struct MasterKeySourceTests {
    private func environment(_ variables: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }.merging(variables) { $1 }
    }

    @Test("init refuses to keep the master key in the data directory unless told to, creating nothing")
    func initKeepsTheKeyOutOfTheDataDirectory() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = directory.path("data")
        for extra in [[], ["--master-key-file", dataDir + "/keys/master.key"], ["--master-key-file", dataDir + "/../data/k.key"]] {
            let refused = try await ProcessRunner.coffer(["init", "--data-dir", dataDir] + extra, environment: environment([:]))
            #expect(refused.status == 78, "\(extra): \(refused.standardError)")
            #expect(refused.standardError.contains("refusing to keep the master key in the data directory"))
            #expect(refused.standardError.contains("--master-key-in-data-dir"))
            #expect(refused.standardOutput.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: dataDir), "nothing was created")
        }

        let keyFile = directory.path("elsewhere/master.key")
        try FileManager.default.createDirectory(atPath: directory.path("elsewhere"), withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let outside = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", keyFile], environment: environment([:]))
        #expect(outside.status == 0, "\(outside.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDir).sorted() == ["coffer.db"], "no key beside the database")
        #expect(try CofferCommandTests.mode(keyFile) == 0o600)
        let status = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-file", keyFile])
        #expect(status.status == 0, "\(status.standardError)")

        let inside = directory.path("dev")
        let optedIn = try await ProcessRunner.coffer(["init", "--data-dir", inside, "--master-key-in-data-dir"], environment: environment([:]))
        #expect(optedIn.status == 0, "\(optedIn.standardError)")
        #expect(try CofferCommandTests.mode(inside + "/keys/master.key") == 0o600)
        // The key in the data directory is the last resort of every later command.
        #expect(try await ProcessRunner.coffer(["keys", "status", "--data-dir", inside], environment: environment([:])).status == 0)
    }

    @Test("serve --dev still creates its vault with the key inside, and serves")
    func developmentServer() async throws {
        let server = try await ServerProcess()
        #expect(try CofferCommandTests.mode(server.directory.path("data/keys/master.key")) == 0o600)
        #expect(try await server.request("GET", "/readyz").status == 200)
        let created = try await server.request("POST", "/vault/v1/cards", body: #"{"number":"4111111111111111"}"#, key: server.apiKey)
        #expect(created.status == 201, "\(created.body)")
        #expect(await server.stop() == 0)
    }

    @Test("A key printed by a command opens the vault: --master-key-command, COFFER_MASTER_KEY_COMMAND, and init with nothing written")
    func keyFromACommand() async throws {
        let directory = try TemporaryDirectory()
        let keyFile = directory.path("kms.key")
        try Data((MasterKey.generate().encoded + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
        let dataDir = directory.path("data")
        let initialized = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-command", "cat '\(keyFile)'"],
                                                         environment: environment([:]))
        #expect(initialized.status == 0, "\(initialized.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dataDir) == ["coffer.db"])

        let fromOption = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-command", "cat '\(keyFile)'"],
                                                        environment: environment([:]))
        #expect(fromOption.status == 0, "\(fromOption.standardError)")
        #expect(fromOption.standardOutput.hasPrefix("v1\tactive"))
        let fromEnvironment = try await ProcessRunner.coffer(["audit", "verify", "--data-dir", dataDir],
                                                             environment: environment(["COFFER_MASTER_KEY_COMMAND": "cat '\(keyFile)'"]))
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.standardError)")

        // The command line comes before the environment.
        let wrong = MasterKey.generate().encoded
        let precedence = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-command", "cat '\(keyFile)'"],
                                                        environment: environment(["COFFER_MASTER_KEY": wrong]))
        #expect(precedence.status == 0, "\(precedence.standardError)")
        let mismatch = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-command", "echo \(wrong)"])
        #expect(mismatch.status == 78)
        #expect(mismatch.standardError.contains("master_key_mismatch"))
    }

    @Test("A failing, silent, chatty or slow command is a clear error (exit 78); its stderr passes through, its output never shows")
    func failingCommands() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = directory.path("data")
        let keyFile = directory.path("k.key")
        #expect(try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", keyFile]).status == 0)
        let cases: [(command: String, message: String)] = [
            ("echo 'kms: access denied' >&2; exit 3", "the master-key command exited with status 3"),
            ("kill -9 $$", "the master-key command was killed by signal 9"),
            ("true", "Invalid master key"),
            ("echo not-a-key-but-4111111111111111", "Invalid master key"),
            ("head -c 5000 /dev/zero", "printed no readable key: more than 4096 bytes"),
            ("sleep 30; cat '\(keyFile)'", "the master-key command timed out after 1 s"),
        ]
        for (command, message) in cases {
            let result = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-command", command,
                                                         "--master-key-command-timeout", "1"])
            #expect(result.status == 78, "\(command): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(command): \(result.standardError)")
            #expect(!result.standardError.contains("4111111111111111"))
            #expect(result.elapsed < .seconds(10), "\(command) was not cut short")
        }
        let denied = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-command", cases[0].command])
        #expect(denied.standardError.contains("kms: access denied"), "the command's stderr reaches the operator")

        let both = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir, "--master-key-file", keyFile,
                                                   "--master-key-command", "cat '\(keyFile)'"])
        #expect(both.status == 64)
        #expect(both.standardError.contains("--master-key-file and --master-key-command both name a master key"))
        let bothInEnvironment = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir], environment: environment([
            "COFFER_MASTER_KEY": try String(contentsOfFile: keyFile, encoding: .utf8), "COFFER_MASTER_KEY_COMMAND": "cat '\(keyFile)'",
        ]))
        #expect(bothInEnvironment.status == 64)
        let none = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir], environment: environment([:]))
        #expect(none.status == 78)
        #expect(none.standardError.contains("no master key"))
    }
}
