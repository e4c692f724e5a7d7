import Foundation
import Synchronization
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A throw-away PostgreSQL server for the tests: one cluster per test process, started on first
/// use in a temporary directory and reached over a Unix socket there (no TCP port, nothing
/// another process could reach), with a fresh database for each caller.
///
/// The cluster cannot outlive the tests: a watchdog shell started with it stops it (and removes
/// its directory) within half a second of the test process's exit, however the process ends.
/// Running as root — as CI does — the server runs as the `postgres` user, which PostgreSQL
/// requires. `fsync` is off: tests kill Coffer nodes, never PostgreSQL.
public enum TestPostgreSQL {
    /// The directory of `initdb`, `postgres` and `pg_isready`, or nil where PostgreSQL's server
    /// is not installed (`apt-get install postgresql`).
    public static let binaries: String? = {
        let candidates = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let versions = candidates.compactMap(Int.init).sorted(by: >)
        return versions.map { "/usr/lib/postgresql/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }()

    /// Whether the PostgreSQL suites run: the server is installed. `COFFER_TEST_POSTGRESQL=required`
    /// (CI) turns a missing server into failures instead of skipped suites.
    public static var isAvailable: Bool {
        binaries != nil || ProcessInfo.processInfo.environment["COFFER_TEST_POSTGRESQL"] == "required"
    }

    public enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case startFailed(String)
        case commandFailed(String)

        public var description: String {
            switch self {
            case .notInstalled: "PostgreSQL's server is not installed (apt-get install postgresql)"
            case .startFailed(let log): "the test PostgreSQL did not start: \(log)"
            case .commandFailed(let output): "psql failed: \(output)"
            }
        }
    }

    /// A connection URI of a new, empty database on the shared test cluster.
    public static func makeDatabase() async throws -> String {
        let socket = try await socketDirectory
        let name = "coffer_test_\(counter.add(1, ordering: .relaxed).newValue)"
        try await psql(socket: socket, "CREATE DATABASE \(name)")
        return uri(socket: socket, database: name)
    }

    /// Runs `sql` as the cluster's superuser on `database`, through the `psql` command.
    public static func psql(socket: String, database: String = "postgres", _ sql: String) async throws {
        guard let binaries else { throw Failure.notInstalled }
        let result = try await ProcessRunner.run(binaries + "/psql",
                                                 ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socket, "-U", user, "-d", database, "-c", sql])
        guard result.status == 0 else { throw Failure.commandFailed(result.standardError) }
    }

    /// `postgresql://coffer@/NAME?host=SOCKET-DIRECTORY`.
    public static func uri(socket: String, database: String) -> String {
        "postgresql://\(user)@/\(database)?host=\(socket)"
    }

    /// The socket directory of the shared cluster, starting it on first use.
    public static var socketDirectory: String {
        get async throws { try await cluster.value.directory }
    }

    static let user = "coffer"
    private static let counter = Atomic<Int>(0)

    /// The running cluster. Holding the watchdog keeps it alive: a `ChildProcess` kills its
    /// child when released.
    private struct Cluster: Sendable {
        var directory: String
        var watchdog: ChildProcess
    }

    private static let cluster = Task<Cluster, any Error> {
        guard let binaries else { throw Failure.notInstalled }
        let directory = try makeDirectory()
        // Root may not run PostgreSQL: drop to its own user for initdb and the server.
        let asOwner = getuid() == 0 ? "setpriv --reuid=postgres --regid=postgres --init-groups " : ""
        let script = """
            set -e
            D=\(directory)
            \(asOwner)\(binaries)/initdb -D "$D/data" -U \(user) -A trust -E UTF8 --locale=C --no-sync >"$D/initdb.log" 2>&1
            \(asOwner)\(binaries)/postgres -D "$D/data" -k "$D" -c listen_addresses= -c fsync=off \
              -c max_connections=300 -c log_min_messages=warning >"$D/server.log" 2>&1 &
            server=$!
            tries=0
            until \(binaries)/pg_isready -q -h "$D" -U \(user); do
              tries=$((tries + 1)); [ $tries -lt 300 ] || { cat "$D/server.log"; exit 1; }
              kill -0 $server 2>/dev/null || { cat "$D/server.log"; exit 1; }
              sleep 0.1
            done
            echo ready
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done
            kill -INT $server 2>/dev/null || true
            wait $server || true
            rm -rf "$D"
            """
        let watchdog = try await ChildProcess("/bin/sh", ["-c", script])
        guard await watchdog.standardOutput.wait(within: .seconds(60), forText: "ready") else {
            throw Failure.startFailed(watchdog.standardOutput.text + watchdog.standardError.text)
        }
        return Cluster(directory: directory, watchdog: watchdog)
    }

    /// A directory the server's user may own: under /tmp, handed to `postgres` when running as root.
    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/coffer-pg-XXXXXX".utf8CString)
        guard let pointer = mkdtemp(&template) else { throw Failure.startFailed("mkdtemp: errno \(errno)") }
        let path = String(cString: pointer)
        if getuid() == 0, let owner = getpwnam("postgres") {
            guard chown(path, owner.pointee.pw_uid, owner.pointee.pw_gid) == 0 else {
                throw Failure.startFailed("chown \(path): errno \(errno)")
            }
        }
        return path
    }
}
