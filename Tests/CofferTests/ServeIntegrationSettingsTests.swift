import Foundation
import TestSupport
import Testing

/// `coffer serve --card-verifier …` and the `outbox-*` settings: what starts, and what is refused
/// at start with a message naming the setting (exit 78), creating nothing.
@Suite("coffer serve: card verifier and outbox settings", .ownThreads)
struct ServeIntegrationSettingsTests {
    static let environment = ServeConfigurationTests.environment([:])

    /// The `mode` of the server's "card verifier" start-up line.
    static func verifierMode(_ log: String) -> String? {
        log.split(separator: "\n").lazy.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.first { $0["msg"] as? String == "card verifier" }?["mode"] as? String
    }

    @Test("Each mode starts: sandbox by default, none, and gateway with its four settings (from a config file)")
    func modesStart() async throws {
        let directory = try TemporaryDirectory()
        let keyFile = directory.path("gateway.key")
        try "private-key-value\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        try """
            card-verifier = gateway
            card-gateway-url = http://127.0.0.1:9/gateway
            card-gateway-merchant-id = coffer-test
            card-gateway-public-key = public-key
            card-gateway-private-key-file = \(keyFile)
            """.write(toFile: directory.path("gateway.conf"), atomically: true, encoding: .utf8)
        for (arguments, mode) in [([String](), "sandbox"), (["--card-verifier", "none"], "none"),
                                  (["--config", directory.path("gateway.conf")], "gateway")] {
            let server = try await ServerProcess(serving: directory, dataDir: directory.path("data"), arguments: ["--dev"] + arguments,
                                                 credentials: ("unused", "unused"), environment: Self.environment)
            #expect(try await server.request("GET", "/healthz").status == 200)
            #expect(await server.stop() == 0)
            #expect(Self.verifierMode(server.log) == mode, "\(server.log)")
            #expect(!server.log.contains("private-key-value"))
        }
        let printed = try await ServeConfigurationTests.printConfig(["--config", directory.path("gateway.conf")], in: directory)
        #expect(printed.settings["card-gateway-private-key-file"]?.value == keyFile)
        #expect(!printed.output.contains("private-key-value"), "the key itself is never printed")
    }

    @Test("Bad card-verifier and outbox configurations are refused at start, naming what is wrong, and create nothing")
    func refusals() async throws {
        let directory = try TemporaryDirectory()
        let keyFile = directory.path("gateway.key"), secretFile = directory.path("outbox.secret"), shortSecret = directory.path("short")
        try "private-key-value".write(toFile: keyFile, atomically: true, encoding: .utf8)
        try "0123456789abcdef0123456789abcdef\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        try "short\n".write(toFile: shortSecret, atomically: true, encoding: .utf8)
        let gateway = ["--card-verifier", "gateway", "--card-gateway-url", "https://gateway.example.com", "--card-gateway-merchant-id", "m",
                       "--card-gateway-public-key", "p", "--card-gateway-private-key-file", keyFile]
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["--card-verifier", "braintree"], 64, "Invalid value 'braintree' for '--card-verifier': expected none, sandbox or gateway."),
            (["--card-verifier", "gateway"], 78,
             "the card verifier 'gateway' needs card-gateway-url, card-gateway-merchant-id, card-gateway-public-key, card-gateway-private-key-file"),
            (Array(gateway.dropLast(2)), 78, "the card verifier 'gateway' needs card-gateway-private-key-file"),
            (["--card-gateway-url", "https://gateway.example.com"], 78,
             "card-gateway-url is set but the card verifier is 'sandbox': set card-verifier = gateway, or remove it"),
            (gateway.map { $0 == "https://gateway.example.com" ? "http://gateway.example.com" : $0 }, 78,
             "card-gateway-url 'http://gateway.example.com': plaintext_off_loopback"),
            (gateway.map { $0 == keyFile ? directory.path("missing.key") : $0 }, 78,
             "card-gateway-private-key-file \(directory.path("missing.key")): cannot be read"),
            (gateway + ["--card-gateway-ca-file", directory.path("missing.pem")], 78, "cannot set up the card gateway client"),
            (["--outbox-url", "https://hooks.example.com/coffer"], 78, "outbox-url needs outbox-secret-file: deliveries are always signed"),
            (["--outbox-url", "https://hooks.example.com/coffer", "--outbox-secret-file", shortSecret], 78,
             "outbox-secret-file: the secret must be at least 16 bytes"),
            (["--outbox-url", "http://hooks.example.com/coffer", "--outbox-secret-file", secretFile], 78,
             "outbox delivery to 'http://hooks.example.com/coffer': plaintext_off_loopback"),
            (["--outbox-secret-file", secretFile], 78, "outbox-secret-file is set but outbox-url is not"),
            (["--outbox-url", "https://hooks.example.com/coffer", "--outbox-secret-file", secretFile, "--outbox-timeout", "0"], 64,
             "Invalid value '0' for '--outbox-timeout': expected a positive number of seconds."),
        ]
        for (arguments, status, message) in cases {
            let result = try await ProcessRunner.coffer(["serve", "--dev", "--data-dir", directory.path("data")] + arguments,
                                                        environment: Self.environment)
            #expect(result.status == status, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(result.standardError)")
            #expect(!result.standardError.contains("private-key-value") && !result.standardError.contains("0123456789abcdef"))
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("data")), "a refused configuration creates nothing")
    }
}
