import Foundation
import Testing
import TestSupport
import VaultCore
@testable import VaultStore

/// `.replica` reads on a streaming standby (`--read-database`): they see every write of their
/// own node (the fence), may miss another node's for a moment, and never fail for the replica.
/// Each test pauses replay on a standby of its own.
@Suite("PostgreSQL reads from a replica", .ownThreads, .enabled(if: TestPostgreSQL.isAvailable))
struct PostgreSQLReplicaTests {
    private static let key = "replica-test"

    /// A database, a standby of it, and node A reading from that standby once it has replayed A's start.
    private func nodeWithReplica() async throws -> (node: PostgreSQLStorage, uri: String, standby: TestPostgreSQL.Standby) {
        let uri = try await TestPostgreSQL.makeDatabase()
        let standby = try await TestPostgreSQL.makeStandby()
        let node = try await blocking { try PostgreSQLStorage.open(uri: uri, readURI: standby.uri(of: uri)) }
        #expect(node.replicaProblem == nil)
        try await standby.catchUp()
        return (node, uri, standby)
    }

    private func value(_ node: PostgreSQLStorage, _ consistency: ReadConsistency) async throws -> [UInt8]? {
        try await node.read(consistency: consistency) { try $0.metadata(Self.key) }
    }

    private func store(_ value: [UInt8], through node: PostgreSQLStorage) async throws {
        try await node.write { try $0.setMetadata(Self.key, value: value) }
    }

    @Test func walPositionsParseFromTheirTextFormAndCompareAsNumbers() {
        #expect(WALPosition("0/16B3748")?.value == 0x16B3748)
        #expect(WALPosition("1/0")?.value == 1 << 32)
        // As text "10/0" sorts before "9/FFFFFFFF"; as positions it comes after.
        #expect(WALPosition("10/0")! > WALPosition("9/FFFFFFFF")!)
        for malformed in ["", "0", "0/", "/0", "G/0", "0/0/0", "123456789/0", "-1/0"] {
            #expect(WALPosition(malformed) == nil, "\(malformed)")
        }
    }

    @Test func aNodeReadsItsOwnWriteAtOnceThroughTheFenceWhileTheReplicaLags() async throws {
        let (node, _, standby) = try await nodeWithReplica()
        #expect(try await value(node, .replica) == nil)
        #expect(node.replicaStats == ReplicaReadStats(served: 1, fallbacks: 0), "a replica that caught up serves")

        try await standby.pauseReplay()
        try await store([1], through: node)
        #expect(try await value(node, .replica) == [1], "the node's own write, though the replica has not replayed it")
        #expect(node.replicaStats == ReplicaReadStats(served: 1, fallbacks: 1), "read on the primary")

        try await standby.resumeReplay()
        try await standby.catchUp()
        #expect(try await value(node, .replica) == [1])
        #expect(node.replicaStats == ReplicaReadStats(served: 2, fallbacks: 1), "the replica serves again once it replayed the write")
        await node.close()
    }

    @Test func anotherNodesWriteReachesReplicaReadsOnlyOnceReplayed() async throws {
        let (node, uri, standby) = try await nodeWithReplica()
        let other = try await blocking { try PostgreSQLStorage.open(uri: uri) }
        try await standby.pauseReplay()
        try await store([2], through: other)
        #expect(try await value(node, .replica) == nil, "the replica has not replayed node B's write")
        #expect(try await value(node, .primary) == [2])
        #expect(try await node.read { try $0.metadata(Self.key) } == [2], "a plain read is a primary read")
        #expect(node.replicaStats == ReplicaReadStats(served: 1, fallbacks: 0), "the lagging answer came from the replica")

        try await standby.resumeReplay()
        try await standby.catchUp()
        #expect(try await value(node, .replica) == [2])
        #expect(node.replicaStats == ReplicaReadStats(served: 2, fallbacks: 0))
        await other.close()
        await node.close()
    }

    @Test func anUnreachableReplicaOrOneThatIsNoStandbySendsReadsToThePrimary() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let unreachable = "postgresql://coffer:hunter2-secret@/postgres?host=/nonexistent-coffer-socket"
        for (readURI, problem) in [(unreachable, "cannot connect"), (uri, "not a standby")] {
            let node = try await blocking { try PostgreSQLStorage.open(uri: uri, readURI: readURI) }
            #expect(node.replicaProblem?.contains(problem) == true, "\(node.replicaProblem ?? "no problem")")
            #expect(node.replicaProblem?.contains("hunter2") == false)
            try await store([3], through: node)
            #expect(try await value(node, .replica) == [3])
            #expect(try await value(node, .replica) == [3])
            #expect(node.replicaStats == ReplicaReadStats(served: 0, fallbacks: 2))
            await node.close()
        }
    }

    @Test func aReplicaReadThreadLeavesAFailedServerAloneForItsReconnectDelay() async throws {
        let socket = try await TestPostgreSQL.socketDirectory
        let name = "coffer_later_\(UInt32.random(in: 0...UInt32.max))"
        let uri = TestPostgreSQL.uri(socket: socket, database: name)
        let patient = try PGReaderPool(uri: uri, threads: 1, reconnectDelay: .seconds(600), name: "test")
        let eager = try PGReaderPool(uri: uri, threads: 1)
        for pool in [patient, eager] {
            await #expect(throws: StorageError.self, "the database does not exist yet") { try await pool.read { _ in } }
        }
        try await TestPostgreSQL.psql(socket: socket, "CREATE DATABASE \(name)")
        await #expect(throws: StorageError.self, "not tried again within the delay") { try await patient.read { _ in } }
        try await eager.read { _ in }
        patient.close()
        eager.close()
    }

    @Test func withoutAReplicaEveryReadIsAPrimaryRead() async throws {
        let uri = try await TestPostgreSQL.makeDatabase()
        let node = try await blocking { try PostgreSQLStorage.open(uri: uri) }
        try await store([4], through: node)
        #expect(try await value(node, .replica) == [4])
        #expect(node.replicaStats == ReplicaReadStats(served: 0, fallbacks: 0))
        await node.close()
    }
}
