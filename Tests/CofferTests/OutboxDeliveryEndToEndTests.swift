import Foundation
import TestSupport
import Testing
import VaultCore
import VaultStore

/// The delivery worker of a real `coffer serve`: messages put in a data directory's outbox reach a
/// receiver on 127.0.0.1 through refusals, kill -9, dead letters, `coffer outbox retry` and SIGTERM.
@Suite("coffer serve: outbound delivery", .ownThreads)
struct OutboxDeliveryEndToEndTests {
    static let secret = "whsec-e2e-5f1c0a9d3b7e4c2a8f6d0b1e9c3a7f5d"

    /// A vault made by `coffer init`, with `count` messages in its outbox (put there in this
    /// process, as a producer would, before any server runs) and the secret file.
    struct Fixture {
        let directory: TemporaryDirectory
        let dataDir: String
        let credentials: (apiKey: String, tenantID: String)
        let ids: [OutboxMessageID]
        let secretFile: String

        init(messages count: Int) async throws {
            directory = try TemporaryDirectory()
            dataDir = directory.path("data")
            let initialized = try await ProcessRunner.coffer(["init", "--data-dir", dataDir, "--master-key-in-data-dir"],
                                                             environment: ServeConfigurationTests.environment([:]))
            let printed = try JSONSerialization.jsonObject(with: Data(initialized.standardOutput.utf8)) as? [String: String]
            let (apiKey, tenant) = (try #require(printed?["apiKey"]), try #require(printed?["tenantId"]))
            credentials = (apiKey, tenant)
            let (storage, vault) = try await CofferCommandTests.openVault(dataDir)
            var ids: [OutboxMessageID] = []
            for index in 0..<count {
                ids.append(try await OutboxService(vault).enqueue(
                    topic: "connectfi.card-profile", payload: Fixture.payload(index), tenant: try #require(TenantID(validating: tenant))))
            }
            await storage.close()
            self.ids = ids
            secretFile = directory.path("outbox.secret")
            try "\(OutboxDeliveryEndToEndTests.secret)\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        }

        static func payload(_ index: Int) -> [UInt8] { Array(#"{"email":"holder-\#(index)@example.com"}"#.utf8) }

        /// `coffer serve` on this vault delivering to `url`, retrying fast.
        func serve(to url: String, _ extra: [String] = []) async throws -> ServerProcess {
            try await ServerProcess(
                serving: directory, dataDir: dataDir,
                arguments: ["--outbox-url", url, "--outbox-secret-file", secretFile, "--outbox-poll-interval", "0.1",
                            "--outbox-backoff", "0.1", "--outbox-max-backoff", "0.3"] + extra,
                credentials: credentials, environment: ServeConfigurationTests.environment([:]))
        }

        /// `coffer outbox list` as JSON objects.
        func list(_ state: OutboxState) async throws -> [[String: Any]] {
            let result = try await ProcessRunner.coffer(["outbox", "list", "--data-dir", dataDir, "--state", state.rawValue],
                                                        environment: ServeConfigurationTests.environment([:]))
            #expect(result.status == 0, "\(result.standardError)")
            return result.standardOutput.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    /// The value of a metric line `name value` in `/metrics`.
    static func metric(_ name: String, of server: ServerProcess) async throws -> Double? {
        let text = try await server.request("GET", "/metrics", key: server.apiKey).body
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test("kill -9 while the receiver refuses connections, then restart with it accepting: every message arrives, signed")
    func killNineLosesNothing() async throws {
        let fixture = try await Fixture(messages: 20)
        let gone = try OutboxReceiver([.answer(200)])
        let refusedURL = gone.url
        await gone.stop()

        let first = try await fixture.serve(to: refusedURL)
        #expect(await first.process.standardError.wait(within: .seconds(60), until: {
            $0.components(separatedBy: "outbox delivery failed").count > 20
        }), "every message attempted at least once: \(first.log)")
        first.process.signal(SIGKILL)
        #expect(await first.process.exit().termination == .signaled(SIGKILL))

        let receiver = try OutboxReceiver([.answer(200)])
        let second = try await fixture.serve(to: receiver.url)
        let expected = Set(fixture.ids.map(\.rawValue))
        #expect(await waitUntil(within: .seconds(60)) {
            Set(receiver.deliveries.compactMap { $0.headers["Idempotency-Key"] }) == expected
        }, "every message arrives after the restart")
        #expect(await second.stop() == 0)
        await receiver.stop()

        for delivery in receiver.deliveries {
            let index = try #require(fixture.ids.firstIndex { $0.rawValue == delivery.headers["Idempotency-Key"] })
            #expect(delivery.body == Fixture.payload(index))
            #expect(try await OutboxReceiver.signatureIsValid(delivery, secret: Self.secret, in: fixture.directory))
        }
        #expect(try await fixture.list(.delivered).count == 20)
        #expect(try await fixture.list(.pending).isEmpty)
        #expect(!(first.log + second.log).contains("@example.com"), "no payload in the logs")
        #expect(!(first.log + second.log).contains(Self.secret))
    }

    @Test("A receiver answering 500: dead after the last attempt, counted in /metrics, revived by coffer outbox retry with the same Idempotency-Key")
    func deadThenRetried() async throws {
        let fixture = try await Fixture(messages: 2)
        let receiver = try OutboxReceiver([.answer(500)])
        let server = try await fixture.serve(to: receiver.url, ["--outbox-max-attempts", "3"])
        var dead: [[String: Any]] = []
        for _ in 0..<600 where dead.count < 2 {
            dead = try await fixture.list(.dead)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(dead.count == 2 && dead.allSatisfy { $0["attempts"] as? Int == 3 && $0["lastError"] as? String == "HTTP 500" })
        #expect(receiver.deliveries.count == 6, "three attempts each, then none")
        #expect(await waitUntil(within: .seconds(30)) { server.log.components(separatedBy: "outbox message dead").count == 3 })
        #expect(try await Self.metric("coffer_outbox_failed_attempts_total", of: server) == 6)
        #expect(try await Self.metric("coffer_outbox_dead_total", of: server) == 2)
        #expect(try await Self.metric("coffer_outbox_delivered_total", of: server) == 0)

        receiver.change(to: .answer(200))
        for id in fixture.ids {
            let retried = try await ProcessRunner.coffer(["outbox", "retry", "--data-dir", fixture.dataDir, "--id", id.rawValue],
                                                         environment: ServeConfigurationTests.environment([:]))
            #expect(retried.status == 0, "\(retried.standardError)")
        }
        #expect(await waitUntil(within: .seconds(30)) { receiver.deliveries.count == 8 })
        for id in fixture.ids {
            let attempts = receiver.deliveries.filter { $0.headers["Idempotency-Key"] == id.rawValue }
            #expect(attempts.map { $0.headers["Coffer-Attempt"] } == ["1", "2", "3", "1"], "one key across attempts and the retry")
        }
        #expect(await waitUntil(within: .seconds(30)) { server.log.components(separatedBy: "outbox message delivered").count == 3 })
        #expect(try await Self.metric("coffer_outbox_delivered_total", of: server) == 2)
        #expect(await server.stop() == 0)
        await receiver.stop()
        #expect(try await fixture.list(.delivered).count == 2)
        #expect(!server.log.contains("@example.com"), "no payload in the logs")
    }

    @Test("Over HTTPS: a receiver whose CA is not trusted is retried (tls_failed); with outbox-ca-file it gets the message")
    func https() async throws {
        let fixture = try await Fixture(messages: 1)
        let pki = try await TestPKI()
        let receiver = try OutboxReceiver([.answer(200)], tls: pki)
        let untrusted = try await fixture.serve(to: receiver.url)
        #expect(await untrusted.process.standardError.wait(within: .seconds(30), forText: #""reason":"tls_failed""#), "\(untrusted.log)")
        #expect(await untrusted.stop() == 0)
        #expect(receiver.deliveries.isEmpty)

        let trusted = try await fixture.serve(to: receiver.url, ["--outbox-ca-file", pki.caPath])
        #expect(await waitUntil(within: .seconds(30)) { receiver.deliveries.count == 1 })
        #expect(await trusted.stop() == 0)
        await receiver.stop()
        #expect(receiver.deliveries.first?.headers["Idempotency-Key"] == fixture.ids[0].rawValue)
        #expect(try await fixture.list(.delivered).count == 1)
    }

    @Test("SIGTERM during a delivery: the delivery finishes and is recorded, the server exits 0")
    func stopsAfterTheDeliveryInFlight() async throws {
        let fixture = try await Fixture(messages: 3)
        let receiver = try OutboxReceiver([.hold(.seconds(2))])
        let server = try await fixture.serve(to: receiver.url, ["--outbox-timeout", "20"])
        #expect(await waitUntil(within: .seconds(30)) { receiver.deliveries.count == 1 })
        #expect(await server.stop() == 0)
        await receiver.stop()
        #expect(receiver.deliveries.count == 1, "no new delivery starts once stopping")
        let delivered = try await fixture.list(.delivered)
        #expect(delivered.map { $0["id"] as? String } == [receiver.deliveries[0].headers["Idempotency-Key"]])
        #expect(try await fixture.list(.pending).count == 2, "the rest wait for the next start")
    }
}
