import Foundation
import Testing
import TestSupport

/// `--database URI` on the command line: where a PostgreSQL vault differs from a data directory,
/// and that its password is never shown.
@Suite("coffer --database (PostgreSQL) on the command line", .ownThreads)
struct DatabaseOptionTests {
    /// Nothing listens on port 1 of loopback.
    static let unreachable = "postgresql://coffer:hunter2-secret@127.0.0.1:1/vault"

    @Test("An unreachable server or a URI that is not PostgreSQL's: exit 78, the URI named with its password masked")
    func unreachableOrMalformed() async throws {
        let directory = try TemporaryDirectory()
        let key = directory.path("master.key")
        for (arguments, expected) in [
            (["keys", "status", "--database", Self.unreachable, "--master-key-file", key], "Connection refused"),
            (["init", "--database", Self.unreachable, "--master-key-file", key], "Connection refused"),
            (["tenants", "list", "--database", "mysql://coffer:hunter2-secret@127.0.0.1/vault", "--master-key-file", key], "not a PostgreSQL URI"),
            (["serve", "--database", Self.unreachable, "--master-key-file", key, "--listen", "127.0.0.1:0"], "Connection refused"),
        ] {
            let result = try await ProcessRunner.coffer(arguments)
            #expect(result.status == 78, "\(arguments): \(result.standardError)")
            #expect(result.standardError.contains(expected) && result.standardError.contains(":********@127.0.0.1"), "\(result.standardError)")
            #expect(!result.standardError.contains("hunter2"))
        }
        #expect(!FileManager.default.fileExists(atPath: key), "nothing created when the database cannot be used")
    }

    @Test("COFFER_DATABASE is read by every command; --print-config masks the password of the URI wherever it comes from")
    func environmentAndPrintedConfiguration() async throws {
        let fromEnvironment = try await ProcessRunner.coffer(["outbox", "list"],
                                                             environment: ["COFFER_DATABASE": Self.unreachable])
        #expect(fromEnvironment.status == 78 && fromEnvironment.standardError.contains("127.0.0.1:1/vault"), "\(fromEnvironment.standardError)")
        let printed = try await ProcessRunner.coffer(["serve", "--print-config", "--database", "postgresql://u@h/db?password=hunter2-secret&sslmode=require"])
        #expect(printed.standardOutput.contains("postgresql://u@h/db?password=********&sslmode=require"), "\(printed.standardOutput)")
        let both = try await ProcessRunner.coffer(["keys", "status", "--data-dir", "/nonexistent", "--database", Self.unreachable])
        #expect(both.status == 64 && both.standardError.contains("give one of the two") && !both.standardError.contains("hunter2"), "\(both.standardError)")
    }

    @Test("What a PostgreSQL vault refuses: --dev, backup and restore, a checkpoint without --checkpoint-file; --read-database without one")
    func refusals() async throws {
        let uri = Self.unreachable
        let dev = try await ProcessRunner.coffer(["serve", "--dev", "--database", uri])
        #expect(dev.status == 78 && dev.standardError.contains("--dev makes a development vault in a data directory"), "\(dev.standardError)")
        let replica = try await ProcessRunner.coffer(["serve", "--data-dir", "/nonexistent", "--read-database", uri])
        #expect(replica.status == 78 && replica.standardError.contains("a read replica serves a PostgreSQL vault"), "\(replica.standardError)")
        #expect(replica.standardError.contains(":********@127.0.0.1") && !replica.standardError.contains("hunter2"))
        let fromEnvironment = try await ProcessRunner.coffer(["serve", "--data-dir", "/nonexistent"], environment: ["COFFER_READ_DATABASE": uri])
        #expect(fromEnvironment.status == 78 && fromEnvironment.standardError.contains("a read replica serves a PostgreSQL vault"),
                "\(fromEnvironment.standardError)")
        let otherCommand = try await ProcessRunner.coffer(["keys", "status", "--database", uri, "--read-database", uri])
        #expect(otherCommand.status == 64 && otherCommand.standardError.contains("--read-database"), "only serve reads a replica: \(otherCommand.standardError)")
        for command in [["backup", "--out", "/tmp/never"], ["restore", "--from", "/tmp/never"]] {
            let result = try await ProcessRunner.coffer(command + ["--database", uri])
            #expect(result.status == 64 && result.standardError.contains("pg_dump") && result.standardError.contains("only ciphertext and wrapped keys"),
                    "\(result.standardError)")
        }
        let checkpoint = try await ProcessRunner.coffer(["audit", "checkpoint", "--database", uri])
        #expect(checkpoint.status == 64 && checkpoint.standardError.contains("--checkpoint-file"), "\(checkpoint.standardError)")
    }

    @Test("init on PostgreSQL needs a master key from outside, creates its file there, and refuses a database that holds a vault",
          .enabled(if: TestPostgreSQL.isAvailable))
    func initOnPostgreSQL() async throws {
        let directory = try TemporaryDirectory()
        let uri = try await TestPostgreSQL.makeDatabase()
        let migrated = try await ProcessRunner.coffer(["migrate", "--database", uri])
        #expect(migrated.status == 0 && migrated.standardOutput.contains("applied "), "before init: \(migrated.standardError)")
        let noKey = try await ProcessRunner.coffer(["init", "--database", uri])
        #expect(noKey.status == 78 && noKey.standardError.contains("no master key"), "\(noKey.standardError)")
        let arguments = ["--database", uri, "--master-key-file", directory.path("master.key")]
        let notYet = try await ProcessRunner.coffer(["tenants", "list"] + arguments)
        #expect(notYet.status == 78 && notYet.standardError.contains("run `coffer init --database"), "\(notYet.standardError)")
        let created = try await ProcessRunner.coffer(["init"] + arguments)
        #expect(created.status == 0 && created.standardOutput.contains("apiKey"), "\(created.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory.path("master.key")))
        let again = try await ProcessRunner.coffer(["init"] + arguments)
        #expect(again.status == 1 && again.standardError.contains("already holds a vault"), "\(again.standardError)")
        let listed = try await ProcessRunner.coffer(["tenants", "list"] + arguments)
        #expect(listed.status == 0 && listed.standardOutput.contains(#""name":"default""#), "\(listed.standardError)")
        let current = try await ProcessRunner.coffer(["migrate", "--database", uri])
        #expect(current.status == 0 && current.standardOutput.contains("schema up to date"), "\(current.standardError)")
    }
}
