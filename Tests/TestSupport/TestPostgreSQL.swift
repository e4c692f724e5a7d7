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
/// A test that needs a read replica asks for a streaming standby of it (`makeStandby`), built
/// then with `pg_basebackup` and watched the same way.
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

    /// Runs `sql` as the cluster's superuser on `database`, through the `psql` command, and
    /// returns what it printed (unaligned, tuples only). `port` picks a standby.
    @discardableResult
    public static func psql(socket: String, port: Int = primaryPort, database: String = "postgres",
                            _ sql: String) async throws -> String {
        guard let binaries else { throw Failure.notInstalled }
        let result = try await ProcessRunner.run(binaries + "/psql",
                                                 ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socket, "-p", "\(port)",
                                                  "-U", user, "-d", database, "-c", sql])
        guard result.status == 0 else { throw Failure.commandFailed(result.standardError) }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `postgresql://coffer@/NAME?host=SOCKET-DIRECTORY`.
    public static func uri(socket: String, database: String) -> String {
        "postgresql://\(user)@/\(database)?host=\(socket)"
    }

    /// The socket directory of the shared cluster, starting it on first use.
    public static var socketDirectory: String {
        get async throws { try await cluster.value.directory }
    }

    public static let primaryPort = 5432

    /// A hot standby of the shared cluster, streaming its WAL: a read replica for tests.
    public struct Standby: Sendable {
        public var socket: String
        public var port: Int

        /// The standby's URI of the database that `primaryURI` (from `makeDatabase`) names.
        public func uri(of primaryURI: String) -> String {
            primaryURI + "&port=\(port)"
        }

        /// Runs `sql` on the standby (`pg_wal_replay_pause()`, …).
        @discardableResult
        public func psql(_ sql: String) async throws -> String {
            try await TestPostgreSQL.psql(socket: socket, port: port, sql)
        }

        /// Stops replaying the primary's WAL, and waits until the standby says it has: what the
        /// primary writes from now on stays invisible on the standby.
        public func pauseReplay() async throws {
            try await psql("SELECT pg_wal_replay_pause()")
            try await waitUntil("SELECT pg_get_wal_replay_pause_state() = 'paused'", "replay did not pause")
        }

        public func resumeReplay() async throws {
            try await psql("SELECT pg_wal_replay_resume()")
        }

        /// Waits until the standby has replayed everything the primary has written so far.
        public func catchUp(within limit: Duration = .seconds(30)) async throws {
            let target = try await TestPostgreSQL.psql(socket: socket, "SELECT pg_current_wal_lsn()")
            try await waitUntil("SELECT pg_last_wal_replay_lsn() >= '\(target)'::pg_lsn", "the standby did not replay up to \(target)",
                                within: limit)
        }

        private func waitUntil(_ condition: String, _ failure: String, within limit: Duration = .seconds(30)) async throws {
            let deadline = ContinuousClock.now + limit
            while try await psql(condition) != "t" {
                guard ContinuousClock.now < deadline else { throw Failure.commandFailed(failure) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// A new standby of the shared cluster, on a port of its own (so a test may pause its
    /// replay without holding back another's), running until the test process ends.
    public static func makeStandby() async throws -> Standby {
        guard let binaries else { throw Failure.notInstalled }
        let socket = try await socketDirectory
        let port = primaryPort + standbyCounter.add(1, ordering: .relaxed).newValue
        let directory = try makeDirectory()
        // A replication slot of its own: the primary keeps every WAL segment the standby has yet to
        // receive (while a test pauses its replay, too), however much the other tests write.
        let watchdog = try await startServer(directory: directory, port: port, socket: socket, setup: """
            \(asOwner)\(binaries)/pg_basebackup -h "\(socket)" -U \(user) -D "$D/data" -R -X stream -C -S coffer_standby_\(port) \\
              -c fast >"$D/basebackup.log" 2>&1
            """)
        standbys.withLock { $0.append(watchdog) }
        return Standby(socket: socket, port: port)
    }

    static let user = "coffer"
    private static let counter = Atomic<Int>(0)
    private static let standbyCounter = Atomic<Int>(0)
    /// The standbys' watchdogs, held for the life of the process like the cluster's.
    private static let standbys = Mutex<[ChildProcess]>([])
    /// Root may not run PostgreSQL: drop to its own user for initdb, pg_basebackup and the server.
    private static let asOwner = getuid() == 0 ? "setpriv --reuid=postgres --regid=postgres --init-groups " : ""

    /// The running cluster. Holding the watchdog keeps it alive: a `ChildProcess` kills its
    /// child when released.
    private struct Cluster: Sendable {
        var directory: String
        var watchdog: ChildProcess
    }

    private static let cluster = Task<Cluster, any Error> {
        guard let binaries else { throw Failure.notInstalled }
        let directory = try makeDirectory()
        // wal_keep_size: pg_basebackup streams the WAL from the backup's start, but its slot is made
        // a moment after that start; a checkpoint in between (another test's) would recycle what
        // the standby needs.
        let watchdog = try await startServer(directory: directory, port: primaryPort, socket: directory, setup: """
            \(asOwner)\(binaries)/initdb -D "$D/data" -U \(user) -A trust -E UTF8 --locale=C --no-sync >"$D/initdb.log" 2>&1 && \\
              echo "wal_keep_size = '256MB'" >>"$D/data/postgresql.conf"
            """)
        return Cluster(directory: directory, watchdog: watchdog)
    }

    /// Runs `setup` (which makes `$D/data`), then a server on that data directory with its
    /// socket for `port` in `socket`, under a watchdog shell that stops the server and removes
    /// `directory` once the test process is gone; returns the watchdog when the server answers.
    /// initdb's default `pg_hba.conf` lets the superuser replicate over the socket, with trust.
    private static func startServer(directory: String, port: Int, socket: String, setup: String) async throws -> ChildProcess {
        guard let binaries else { throw Failure.notInstalled }
        // A standby needs max_connections at least the primary's: every server gets the same.
        let script = """
            set -e
            D=\(directory)
            \(setup) || { cat "$D"/*.log >&2; rm -rf "$D"; exit 1; }
            \(asOwner)\(binaries)/postgres -D "$D/data" -k "\(socket)" -p \(port) -c listen_addresses= -c fsync=off \
              -c max_connections=300 -c log_min_messages=warning >"$D/server.log" 2>&1 &
            server=$!
            tries=0
            until \(binaries)/pg_isready -q -h "\(socket)" -p \(port) -U \(user); do
              tries=$((tries + 1)); [ $tries -lt 300 ] || { cat "$D/server.log" >&2; exit 1; }
              kill -0 $server 2>/dev/null || { cat "$D"/*.log >&2; exit 1; }
              sleep 0.1
            done
            echo server-accepting-connections
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 0.5; done
            kill -INT $server 2>/dev/null || true
            wait $server || true
            rm -rf "$D"
            """
        let watchdog = try await ChildProcess("/bin/sh", ["-c", script])
        guard await watchdog.standardOutput.wait(within: .seconds(60), forText: "server-accepting-connections") else {
            throw Failure.startFailed(watchdog.standardOutput.text + watchdog.standardError.text)
        }
        return watchdog
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
