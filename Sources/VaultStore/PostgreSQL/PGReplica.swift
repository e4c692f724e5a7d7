import Synchronization
import VaultCore

/// A position in PostgreSQL's write-ahead log (a `pg_lsn`), comparable in Swift: the fence that
/// keeps a node's reads from a replica behind none of its own acknowledged writes.
struct WALPosition: Comparable, Sendable {
    var value: UInt64

    static let start = WALPosition(value: 0)

    init(value: UInt64) {
        self.value = value
    }

    /// Parses PostgreSQL's text form, `X/Y`: the high and low 32 bits in hexadecimal.
    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...8).contains($0.count) }),
              let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        value = high << 32 | low
    }

    static func < (lhs: WALPosition, rhs: WALPosition) -> Bool { lhs.value < rhs.value }
}

/// The WAL position of this node's last acknowledged commit (at least): a replica that has
/// replayed it holds every write this node acknowledged. Advanced by the writer thread after
/// each COMMIT, before the commit is acknowledged; read by every `.replica` read.
final class PGCommitFence: Sendable {
    private let position = Mutex(WALPosition.start)

    var current: WALPosition { position.withLock { $0 } }

    /// Raises the fence to `text` (`pg_current_wal_lsn()` after a commit); never lowers it.
    func advance(to text: String?) {
        guard let text, let new = WALPosition(text) else { return }
        position.withLock { $0 = max($0, new) }
    }

    /// Where the WAL ends now on the primary: what a replica must replay to hold all of it.
    static let currentPositionQuery = "SELECT pg_current_wal_lsn()::text"
}

/// A `.replica` read found its replica connection behind the fence: it runs on the primary.
struct PGReplicaBehind: Error {}

/// How `.replica` reads were served since `open`.
public struct ReplicaReadStats: Sendable, Equatable {
    /// Answered by the replica.
    public var served = 0
    /// Sent to the primary instead: the replica was behind this node's last commit, unreachable
    /// or failing.
    public var fallbacks = 0
}

extension PGConnection {
    /// Whether this (replica) connection's server has replayed the WAL up to `fence`. Asks the
    /// server only when the highest position it reported before does not cover the fence; a
    /// server that is not a standby (`pg_last_wal_replay_lsn()` is NULL) never does.
    func hasReplayed(_ fence: WALPosition) throws(PGError) -> Bool {
        if replayed >= fence { return true }
        let text = try query("SELECT pg_last_wal_replay_lsn()::text", []).first?.optionalText(0)
        if let now = text.flatMap(WALPosition.init) { replayed = max(replayed, now) }
        return replayed >= fence
    }
}
