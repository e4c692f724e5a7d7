import Foundation
import HTTPClient
import HTTPServer
import Testing
import TestSupport

/// Two `coffer serve` processes on one PostgreSQL database, as behind a load balancer, with the
/// command-line tools (`init`, `keys`, `audit` with `--database`) beside them.
@Suite("Several coffer serve nodes on one PostgreSQL", .serialized, .ownThreads, .enabled(if: TestPostgreSQL.isAvailable))
struct PostgreSQLNodesEndToEndTests {
    @Test("64 clients create the same 100 TabaPay accounts with RejectDuplicateCard through two nodes: one account per PAN, each read through either node; keys rotate and audit verifies beside them")
    func duplicatesAcrossNodes() async throws {
        let cluster = try await NodeCluster.start(nodes: 2)
        let pans = (0..<100).map { TestPAN.make(8_800_000 + $0) }
        let client = try LoadClient(threads: 64)
        let base = "/v1/clients/\(cluster.tenantID)"

        // Client c sends every PAN, starting at its own offset, alternating nodes.
        let answers = try await withThrowingTaskGroup(of: [(pan: String, status: Int, ids: [String])].self) { group in
            for clientIndex in 0..<64 {
                group.addTask {
                    var answers: [(pan: String, status: Int, ids: [String])] = []
                    for step in 0..<pans.count {
                        let pan = pans[(clientIndex * 37 + step) % pans.count]
                        let node = cluster.nodes[(clientIndex + step) % 2]
                        let body = tabaPayAccountBody(card: #"{"accountNumber":"\#(pan)","expirationDate":"\#(ServerProcess.validExpiration)"}"#)
                        let answer = try await client.send("POST", node.baseURL + "\(base)/accounts?RejectDuplicateCard",
                                                           body: body, key: cluster.apiKey)
                        let ids = answer.status == 200 ? [answer.json?["accountID"] as? String ?? "?"]
                            : answer.json?["duplicateAccountIDs"] as? [String] ?? []
                        answers.append((pan, answer.status, ids))
                    }
                    return answers
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        var results: [String: (created: Set<String>, named: Set<String>, other: [Int])] = [:]
        for answer in answers {
            var outcome = results[answer.pan] ?? ([], [], [])
            switch answer.status {
            case 200: outcome.created.formUnion(answer.ids)
            case 409: outcome.named.formUnion(answer.ids)
            default: outcome.other.append(answer.status)
            }
            results[answer.pan] = outcome
        }
        #expect(results.count == 100)
        var accounts: [(pan: String, id: String)] = []
        for (pan, outcome) in results {
            #expect(outcome.created.count == 1, "PAN #\(pans.firstIndex(of: pan)!): \(outcome.created.count) accounts created")
            #expect(outcome.named.isSubset(of: outcome.created), "a 409 names the one account")
            #expect(outcome.other.isEmpty, "statuses other than 200 and 409: \(outcome.other)")
            if let id = outcome.created.first { accounts.append((pan, id)) }
        }

        // Every account reads through both nodes, whichever created it.
        for (pan, id) in accounts {
            for node in cluster.nodes {
                let read = try await client.send("GET", node.baseURL + "\(base)/accounts/\(id)", key: cluster.apiKey)
                #expect((read.json?["card"] as? [String: String])?["last4"] == String(pan.suffix(4)), "\(read.status) \(read.body)")
            }
        }

        // Native tokens made on one node reveal on the other, before and after a rotation run
        // beside both nodes.
        let tokens = try await cluster.tokenize((0..<10).map { TestPAN.make(8_900_000 + $0) }, client)
        try await cluster.expectReveals(tokens, client)
        let rotated = try await ProcessRunner.coffer(["keys", "rotate"] + cluster.locationArguments)
        #expect(rotated.status == 0 && rotated.standardOutput.contains("data key v2 active"), "\(rotated.standardError)")
        let status = try await ProcessRunner.coffer(["keys", "status", "--json"] + cluster.locationArguments)
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [String: Any])
        let versions = (keys["dataKeys"] as? [[String: Any]] ?? []).map { ($0["version"] as? Int ?? 0, $0["active"] as? Bool ?? false) }
        #expect(versions.contains { $0 == (2, true) }, "\(status.standardOutput)")
        try await cluster.expectReveals(tokens, client)
        try await cluster.expectReveals(try await cluster.tokenize((10..<20).map { TestPAN.make(8_900_000 + $0) }, client), client)

        let verified = try await ProcessRunner.coffer(["audit", "verify"] + cluster.locationArguments)
        #expect(verified.status == 0 && verified.standardOutput.contains("audit log intact"), "\(verified.standardOutput) \(verified.standardError)")
        for node in cluster.nodes {
            #expect(await node.stop() == 0)
            #expect(!pans.contains { node.log.contains($0) })
            #expect(node.log.contains("audit checkpoints are off"))
        }
    }

    @Test("A node with --read-database: 200 tokenize-then-reveal pairs in a row each reveal the card (the node's own writes pass the replica's fence), and the replica answers reads once it has replayed them")
    func readReplica() async throws {
        let standby = try await TestPostgreSQL.makeStandby()
        let cluster = try await NodeCluster.start(nodes: 1, replica: standby.uri(of:))
        let node = cluster.nodes[0]
        #expect(node.log.contains(#""msg":"read replica""#) && !node.log.contains("cannot serve reads"), "\(node.log)")
        let client = try LoadClient(threads: 1)
        let tokens = try await cluster.tokenizeThenReveal((0..<200).map { TestPAN.make(9_100_000 + $0) }, client)
        // Caught up, the replica answers lookups: the metadata of every card.
        try await standby.catchUp()
        for token in tokens {
            let metadata = try await client.send("GET", node.baseURL + "/vault/v1/cards/\(token)", key: cluster.apiKey)
            #expect(metadata.status == 200, "\(metadata.body)")
        }
        let scraper = try await ProcessRunner.coffer(["apikeys", "create", "--tenant", cluster.tenantID, "--roles", "metrics"]
                                                     + cluster.locationArguments)
        let scraperKey = try #require((try? JSONSerialization.jsonObject(with: Data(scraper.standardOutput.utf8)) as? [String: Any])?["apiKey"] as? String,
                                      "\(scraper.standardError)")
        let metrics = try await client.send("GET", node.baseURL + "/metrics", key: scraperKey).body
        let served = try #require(Self.counter("coffer_store_replica_reads_total", in: metrics), "\(metrics)")
        let fallbacks = try #require(Self.counter("coffer_store_replica_fallbacks_total", in: metrics))
        #expect(served >= Double(tokens.count), "replica reads \(served), fallbacks \(fallbacks)")
        #expect(served + fallbacks >= Double(2 * tokens.count), "every reveal and lookup could go to the replica")
        #expect(await node.stop() == 0)
    }

    @Test("A node whose --read-database cannot be reached starts, warns once (the password masked), and answers from the primary")
    func unreachableReadReplica() async throws {
        let cluster = try await NodeCluster.start(nodes: 1, replica: { _ in "postgresql://coffer:hunter2-secret@/vault?host=/nonexistent-coffer" })
        let node = cluster.nodes[0]
        let client = try LoadClient(threads: 1)
        _ = try await cluster.tokenizeThenReveal((0..<3).map { TestPAN.make(9_200_000 + $0) }, client)
        #expect(await node.stop() == 0)
        let warnings = node.log.split(separator: "\n").filter { $0.contains("the read replica cannot serve reads") }
        #expect(warnings.count == 1, "\(node.log)")
        #expect(warnings.first?.contains("postgresql://coffer:********@/vault") == true && !node.log.contains("hunter2"), "\(warnings)")
    }

    private static func counter(_ name: String, in metrics: String) -> Double? {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("kill -9 of one node under load: every token either node acknowledged reveals through the survivor")
    func killedNodeLosesNoAcknowledgedWrite() async throws {
        let cluster = try await NodeCluster.start(nodes: 2)
        let client = try LoadClient(threads: 32)
        let deadline = ContinuousClock.now + .seconds(4)
        let written = try await withThrowingTaskGroup(of: [(token: String, pan: String)].self) { group in
            for clientIndex in 0..<32 {
                group.addTask {
                    var acknowledged: [(token: String, pan: String)] = []
                    var attempt = 0
                    while ContinuousClock.now < deadline {
                        attempt += 1
                        let pan = TestPAN.make(9_000_000 + clientIndex * 10_000 + attempt)
                        // A refused connection or a cut response is no acknowledgement.
                        guard let answer = try? await client.send("POST", cluster.nodes[clientIndex % 2].baseURL + "/vault/v1/cards",
                                                                  body: #"{"number":"\#(pan)","expirationDate":"203012"}"#,
                                                                  key: cluster.apiKey),
                              answer.status == 201, let token = answer.json?["token"] as? String else { continue }
                        acknowledged.append((token, pan))
                    }
                    return acknowledged
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(2))
                cluster.nodes[0].process.signal(SIGKILL)
                return []
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(written.count > 32, "the load made writes")
        let survivor = cluster.nodes[1]
        // 16 revealing at once: the check stays short however much the load wrote.
        let lost = try await withThrowingTaskGroup(of: Int.self) { group in
            for lane in 0..<16 {
                group.addTask {
                    var lost = 0
                    for (token, pan) in stride(from: lane, to: written.count, by: 16).map({ written[$0] }) {
                        let revealed = try await client.send("POST", survivor.baseURL + "/vault/v1/cards/\(token)/reveal", key: cluster.apiKey)
                        if revealed.json?["number"] as? String != pan { lost += 1 }
                    }
                    return lost
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(lost == 0, "\(lost) of \(written.count) acknowledged tokens did not reveal")
        #expect(await survivor.stop() == 0)
        let verified = try await ProcessRunner.coffer(["audit", "verify"] + cluster.locationArguments)
        #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
    }
}

/// A vault made with `coffer init --database` and nodes serving it, the master key in a file of
/// the test's temporary directory.
private struct NodeCluster: Sendable {
    let directory: TemporaryDirectory
    let locationArguments: [String]
    let nodes: [ServerProcess]
    let apiKey: String
    let tenantID: String

    /// With `replica`, the nodes read from the URI it makes of the database's (`--read-database`).
    static func start(nodes count: Int, replica: ((String) -> String)? = nil) async throws -> NodeCluster {
        let directory = try TemporaryDirectory()
        let uri = try await TestPostgreSQL.makeDatabase()
        let location = ["--database", uri, "--master-key-file", directory.path("master.key")]
        let created = try await ProcessRunner.coffer(["init"] + location)
        let printed = try JSONSerialization.jsonObject(with: Data(created.standardOutput.utf8)) as? [String: String]
        let apiKey = try #require(printed?["apiKey"], "\(created.standardError)")
        let tenantID = try #require(printed?["tenantId"])
        var nodes: [ServerProcess] = []
        for _ in 0..<count {
            let reading = replica.map { ["--read-database", $0(uri)] } ?? []
            nodes.append(try await ServerProcess(serving: directory, dataDir: nil, arguments: location + reading,
                                                 credentials: (apiKey, tenantID)))
        }
        return NodeCluster(directory: directory, locationArguments: location, nodes: nodes, apiKey: apiKey, tenantID: tenantID)
    }

    /// Tokenizes each PAN natively, alternating nodes; the token of each.
    func tokenize(_ pans: [String], _ client: LoadClient) async throws -> [(token: String, pan: String)] {
        var tokens: [(String, String)] = []
        for (index, pan) in pans.enumerated() {
            let answer = try await client.send("POST", nodes[index % nodes.count].baseURL + "/vault/v1/cards",
                                               body: #"{"number":"\#(pan)","expirationDate":"203012"}"#, key: apiKey)
            tokens.append((try #require(answer.json?["token"] as? String, "\(answer.status) \(answer.body)"), pan))
        }
        return tokens
    }

    /// Each PAN tokenized, then at once revealed through every node, one after the other; the tokens.
    func tokenizeThenReveal(_ pans: [String], _ client: LoadClient) async throws -> [String] {
        var tokens: [String] = []
        for pan in pans {
            let token = try await tokenize([pan], client)
            try await expectReveals(token, client)
            tokens += token.map(\.token)
        }
        return tokens
    }

    /// Each token reveals its PAN through every node.
    func expectReveals(_ tokens: [(token: String, pan: String)], _ client: LoadClient) async throws {
        for (token, pan) in tokens {
            for node in nodes {
                let revealed = try await client.send("POST", node.baseURL + "/vault/v1/cards/\(token)/reveal", key: apiKey)
                #expect(revealed.json?["number"] as? String == pan, "\(revealed.status) \(revealed.body)")
            }
        }
    }
}

/// Many concurrent loopback requests without a process each: the vault's own HTTP client, whose
/// blocking exchanges run on threads of its own.
private struct LoadClient: Sendable {
    private let client: HTTPClient

    struct Answer {
        var status: Int
        var body: String
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
    }

    init(threads: Int) throws {
        var configuration = HTTPClientConfiguration()
        configuration.threads = threads
        configuration.queueLimit = threads * 4
        configuration.readTimeout = .seconds(60)
        configuration.totalTimeout = .seconds(60)
        client = try HTTPClient(configuration: configuration)
    }

    func send(_ method: String, _ url: String, body: String? = nil, key: String) async throws -> Answer {
        let response = try await client.send(HTTPClientRequest(
            method: method, url: url,
            headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
            body: Array((body ?? "").utf8)))
        return Answer(status: response.status.rawValue, body: String(decoding: response.body, as: UTF8.self))
    }
}
