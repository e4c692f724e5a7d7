import Foundation
import TestSupport
import Testing

/// `coffer serve`'s settings from flags, `COFFER_*` variables and `--config FILE`, as
/// `--print-config` shows them, and the log level the server then honours.
@Suite("coffer serve configuration: flag > environment > file > default", .ownThreads)
struct ServeConfigurationTests {
    static func environment(_ variables: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("COFFER_") }.merging(variables) { $1 }
    }

    struct Printed {
        var status: Int32
        var standardError: String
        var output: String
        /// `key = value  # source` lines by key.
        var settings: [String: (value: String, source: String)]
    }

    /// `coffer serve --print-config ARGUMENTS` with `variables`, and `file` (if any) as `--config`.
    static func printConfig(_ arguments: [String] = [], variables: [String: String] = [:], file: String? = nil,
                            in directory: TemporaryDirectory) async throws -> Printed {
        var arguments = ["serve", "--print-config"] + arguments
        if let file {
            try file.write(toFile: directory.path("coffer.conf"), atomically: true, encoding: .utf8)
            arguments += ["--config", directory.path("coffer.conf")]
        }
        let result = try await ProcessRunner.coffer(arguments, environment: environment(variables))
        var settings: [String: (String, String)] = [:]
        for line in result.standardOutput.split(separator: "\n") {
            guard let equals = line.range(of: " = "), let hash = line.range(of: "  # ", options: .backwards) else { continue }
            let key = line[..<equals.lowerBound].trimmingCharacters(in: .whitespaces)
            settings[key] = (line[equals.upperBound..<hash.lowerBound].trimmingCharacters(in: .whitespaces),
                             String(line[hash.upperBound...]))
        }
        return Printed(status: result.status, standardError: result.standardError, output: result.standardOutput,
                       settings: settings)
    }

    @Test("each pair of layers: the higher one wins, and print-config names it")
    func precedence() async throws {
        let directory = try TemporaryDirectory()
        let conf = directory.path("coffer.conf")
        let file = "# test\nlisten = 127.0.0.1:3000\nmax-body-bytes = 3000\nallow-plaintext = true\n"

        // Default alone.
        let defaults = try await Self.printConfig(in: directory)
        #expect(defaults.status == 0, "\(defaults.standardError)")
        #expect(defaults.settings["listen"]! == ("127.0.0.1:8080", "default"))
        #expect(defaults.settings["allow-plaintext"]! == ("false", "default"))

        // File over default.
        let fromFile = try await Self.printConfig(file: file, in: directory)
        #expect(fromFile.settings["listen"]! == ("127.0.0.1:3000", "\(conf):2"))
        #expect(fromFile.settings["allow-plaintext"]! == ("true", "\(conf):4"))

        // Environment over file, for an option and a flag (false beats the file's true).
        let fromEnvironment = try await Self.printConfig(
            variables: ["COFFER_LISTEN": "127.0.0.1:2000", "COFFER_ALLOW_PLAINTEXT": "false"], file: file, in: directory)
        #expect(fromEnvironment.settings["listen"]! == ("127.0.0.1:2000", "environment COFFER_LISTEN"))
        #expect(fromEnvironment.settings["allow-plaintext"]! == ("false", "environment COFFER_ALLOW_PLAINTEXT"))
        #expect(fromEnvironment.settings["max-body-bytes"]! == ("3000", "\(conf):3"))

        // Flag over environment, and flag over file.
        let fromFlags = try await Self.printConfig(
            ["--listen", "127.0.0.1:1000", "--max-body-bytes", "1000"],
            variables: ["COFFER_LISTEN": "127.0.0.1:2000"], file: file, in: directory)
        #expect(fromFlags.settings["listen"]! == ("127.0.0.1:1000", "command line"))
        #expect(fromFlags.settings["max-body-bytes"]! == ("1000", "command line"))

        // COFFER_CONFIG names the file; the flag overrides it.
        try file.write(toFile: conf, atomically: true, encoding: .utf8)
        let viaVariable = try await Self.printConfig(variables: ["COFFER_CONFIG": conf], in: directory)
        #expect(viaVariable.settings["config"]! == (conf, "environment COFFER_CONFIG"))
        #expect(viaVariable.settings["listen"]! == ("127.0.0.1:3000", "\(conf):2"))
    }

    @Test("every serve option and flag has its variable and file key")
    func everySettingHasAVariable() async throws {
        let directory = try TemporaryDirectory()
        let printed = try await Self.printConfig(in: directory)
        #expect(printed.settings.count >= 13)
        for (key, _) in printed.settings where key != "config" {
            let variable = "COFFER_" + key.uppercased().replacing("-", with: "_")
            let value = ["dev", "allow-plaintext"].contains(key) ? "true" : "7"
            let fromEnvironment = try await Self.printConfig(variables: [variable: value], in: directory)
            #expect(fromEnvironment.settings[key]?.source == "environment \(variable)", "\(key)")
            let fromFile = try await Self.printConfig(file: "\(key) = \(value)\n", in: directory)
            #expect(fromFile.settings[key]?.source == "\(directory.path("coffer.conf")):1", "\(key): \(fromFile.standardError)")
        }
    }

    @Test("secrets are masked: a master-key command from flag, environment or file, and COFFER_MASTER_KEY")
    func masking() async throws {
        let directory = try TemporaryDirectory()
        let secret = "vault-token-s3cr3t"
        let key = String(repeating: "k", count: 43)
        for printed in [
            try await Self.printConfig(["--master-key-command", "kms --token \(secret)"], in: directory),
            try await Self.printConfig(variables: ["COFFER_MASTER_KEY_COMMAND": "kms --token \(secret)"], in: directory),
            try await Self.printConfig(file: "master-key-command = kms --token \(secret)\n", in: directory),
        ] {
            #expect(printed.status == 0, "\(printed.standardError)")
            #expect(!printed.output.contains(secret))
            #expect(printed.settings["master-key-command"]?.value == "********")
        }
        let withKey = try await Self.printConfig(variables: ["COFFER_MASTER_KEY": key], in: directory)
        #expect(!withKey.output.contains(key))
        #expect(withKey.settings["master-key"]! == ("********", "environment COFFER_MASTER_KEY"))
    }

    @Test("a bad file or value: exit 78 naming the file and line, or the variable")
    func configurationErrors() async throws {
        let directory = try TemporaryDirectory()
        let conf = directory.path("coffer.conf")
        let cases: [(file: String?, variables: [String: String], message: String)] = [
            ("listen = 127.0.0.1:1\nlisen = x\n", [:], "\(conf):2: unknown key 'lisen', did you mean 'listen'?"),
            ("listen\n", [:], "\(conf):1: expected 'key = value' or a '#' comment"),
            ("listen = a:1\nlisten = b:2\n", [:], "\(conf):2: 'listen' is already set on line 1"),
            ("config = other.conf\n", [:], "\(conf):1: unknown key 'config'"),
            ("dev = maybe\n", [:], "Invalid value 'maybe' for 'dev' (\(conf):1): expected 'true' or 'false'."),
            (nil, ["COFFER_CONFIG": directory.path("missing.conf")], "\(directory.path("missing.conf")): cannot be read"),
        ]
        for (file, variables, message) in cases {
            let printed = try await Self.printConfig(variables: variables, file: file, in: directory)
            #expect(printed.status == 78, "\(message)")
            #expect(printed.standardError.contains(message), "\(printed.standardError)")
            #expect(printed.output.isEmpty)
        }
        // Values are checked when the server starts: from a file or variable, a configuration error (78)…
        for (file, variables, message) in [
            ("listen = nowhere\n", [String: String](), "Invalid value 'nowhere' for 'listen' (\(conf):1): expected HOST:PORT."),
            (nil, ["COFFER_MAX_BODY_BYTES": "big"], "Invalid value 'big' for 'max-body-bytes' (environment COFFER_MAX_BODY_BYTES)"),
            (nil, ["COFFER_LOG_LEVEL": "loud"], "Invalid value 'loud' for 'log-level' (environment COFFER_LOG_LEVEL): expected debug, info, warning or error."),
        ] {
            var arguments = ["serve", "--dev", "--data-dir", directory.path("data")]
            if let file {
                try file.write(toFile: conf, atomically: true, encoding: .utf8)
                arguments += ["--config", conf]
            }
            let result = try await ProcessRunner.coffer(arguments, environment: Self.environment(variables))
            #expect(result.status == 78, "\(result.standardError)")
            #expect(result.standardError.contains(message), "\(result.standardError)")
        }
        // …from a flag, a usage error (64) as before.
        let flag = try await ProcessRunner.coffer(["serve", "--dev", "--data-dir", directory.path("data"), "--log-level", "loud"],
                                                  environment: Self.environment([:]))
        #expect(flag.status == 64)
        #expect(flag.standardError.contains("Invalid value 'loud' for '--log-level'"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("data")), "a refused setting creates nothing")
    }

    @Test("the master key: a variable beats the file's master-key-file; two on one level are refused")
    func masterKeyLayers() async throws {
        let directory = try TemporaryDirectory()
        let dataDir = directory.path("data"), keyFile = directory.path("master.key")
        #expect(try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-file", keyFile],
                                               environment: Self.environment([:])).status == 0)
        try "master-key-file = \(directory.path("wrong.key"))\n".write(toFile: directory.path("coffer.conf"), atomically: true, encoding: .utf8)
        let server = try await ServerProcess(serving: directory, dataDir: dataDir, arguments: ["--config", directory.path("coffer.conf")],
                                             credentials: ("unused", "unused"),
                                             environment: Self.environment(["COFFER_MASTER_KEY_FILE": keyFile]))
        #expect(try await server.request("GET", "/healthz").status == 200)
        #expect(await server.stop() == 0)

        // COFFER_MASTER_KEY_FILE serves every command, on the environment's level: beside COFFER_MASTER_KEY, refused.
        let status = try await ProcessRunner.coffer(["keys", "status", "--data-dir", dataDir],
                                                    environment: Self.environment(["COFFER_MASTER_KEY_FILE": keyFile]))
        #expect(status.status == 0, "\(status.standardError)")
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let twoVariables = try await ProcessRunner.coffer(
            ["keys", "status", "--data-dir", dataDir],
            environment: Self.environment(["COFFER_MASTER_KEY_FILE": keyFile, "COFFER_MASTER_KEY": key]))
        #expect(twoVariables.status == 64)
        #expect(twoVariables.standardError.contains("COFFER_MASTER_KEY and COFFER_MASTER_KEY_FILE both name a master key"),
                "\(twoVariables.standardError)")

        try "master-key-file = \(keyFile)\nmaster-key-command = cat \(keyFile)\n"
            .write(toFile: directory.path("coffer.conf"), atomically: true, encoding: .utf8)
        let both = try await ProcessRunner.coffer(["serve", "--data-dir", dataDir, "--config", directory.path("coffer.conf")],
                                                  environment: Self.environment([:]))
        #expect(both.status == 64)
        #expect(both.standardError.contains("master-key-file (\(directory.path("coffer.conf")):1) and master-key-command"),
                "\(both.standardError)")
    }

    @Test("--log-level: warning drops the info access log and notices; the default keeps them")
    func logLevel() async throws {
        for (arguments, variables, quiet) in [([String](), [String: String](), false), (["--log-level", "warning"], [:], true),
                                              ([], ["COFFER_LOG_LEVEL": "error"], true)] {
            let directory = try TemporaryDirectory()
            let server = try await ServerProcess(serving: directory, dataDir: directory.path("data"), arguments: ["--dev"] + arguments,
                                                 environment: Self.environment(variables))
            #expect(try await server.request("GET", "/healthz").status == 200)
            #expect(await server.stop() == 0)
            let levels = Set(server.log.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["level"] as? String
            })
            if quiet {
                #expect(levels.isDisjoint(with: ["debug", "info", "notice"]), "\(arguments) \(variables): \(levels)")
            } else {
                #expect(levels.isSuperset(of: ["info", "notice"]), "\(levels)")
            }
        }
    }
}
