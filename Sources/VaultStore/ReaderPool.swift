import Synchronization
import VaultCore

/// Read-only connections to the database, opened on demand up to `maxConnections`; past that,
/// readers wait (suspended, not blocking a thread) for one to be checked in.
///
/// A read runs synchronously on the calling task's thread with a checked-out connection. Reads
/// are point lookups and short pages that take microseconds; handing them to other threads
/// would cost more (two context switches) than the read itself. Long scans should page.
/// Each connection keeps its own statement cache.
final class ReaderPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection] = []
        /// Connections open, idle or checked out (including ones being opened).
        var open = 0
        var waiters: [CheckedContinuation<SQLiteConnection, any Error>] = []
        var closed = false
    }

    private enum Checkout {
        case use(SQLiteConnection)
        case openNew
        case wait
        case closed
    }

    private let state = Mutex(State())
    let path: String
    let maxConnections: Int

    init(path: String, maxConnections: Int) {
        self.path = path
        self.maxConnections = max(1, maxConnections)
    }

    static let closedError = StorageError.unavailable("the storage is closed")

    /// Runs `body` inside a read transaction (one consistent snapshot) on a pooled connection.
    func read<T>(_ body: (SQLiteConnection) throws -> T) async throws -> T {
        let connection = try await checkout()
        defer { checkin(connection) }
        try connection.execute("BEGIN")
        do {
            let result = try body(connection)
            try connection.execute("COMMIT")
            return result
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    func checkout() async throws -> SQLiteConnection {
        switch state.withLock({ decide(&$0) }) {
        case .use(let connection): return connection
        case .openNew: return try openConnection()
        case .closed: throw Self.closedError
        case .wait:
            return try await withCheckedThrowingContinuation { continuation in
                // Decide again under the lock that registers the waiter, so no check-in is missed.
                let decision = state.withLock { state -> Checkout in
                    let decision = decide(&state)
                    if case .wait = decision { state.waiters.append(continuation) }
                    return decision
                }
                switch decision {
                case .use(let connection): continuation.resume(returning: connection)
                case .openNew: continuation.resume(with: Result { try openConnection() })
                case .closed: continuation.resume(throwing: Self.closedError)
                case .wait: break
                }
            }
        }
    }

    private func decide(_ state: inout State) -> Checkout {
        if state.closed { return .closed }
        if let connection = state.idle.popLast() { return .use(connection) }
        if state.open < maxConnections {
            state.open += 1
            return .openNew
        }
        return .wait
    }

    private func openConnection() throws -> SQLiteConnection {
        do {
            return try SQLiteConnection.open(path: path, mode: .readOnly)
        } catch {
            // Give the slot back; if nothing else is open, no check-in will ever wake the waiters.
            let stranded = state.withLock { state -> [CheckedContinuation<SQLiteConnection, any Error>] in
                state.open -= 1
                guard state.open == 0 else { return [] }
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in stranded { waiter.resume(throwing: error) }
            throw error
        }
    }

    func checkin(_ connection: SQLiteConnection) {
        enum Next {
            case handTo(CheckedContinuation<SQLiteConnection, any Error>)
            case close
            case keep
        }
        let next = state.withLock { state -> Next in
            if state.closed {
                state.open -= 1
                return .close
            }
            if !state.waiters.isEmpty { return .handTo(state.waiters.removeFirst()) }
            state.idle.append(connection)
            return .keep
        }
        switch next {
        case .handTo(let waiter): waiter.resume(returning: connection)
        case .close: connection.close()
        case .keep: break
        }
    }

    /// Closes idle connections now and checked-out ones when they come back; fails waiters.
    func close() {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            state.open -= state.idle.count
            defer {
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle, state.waiters)
        }
        for connection in idle { connection.close() }
        for waiter in waiters { waiter.resume(throwing: Self.closedError) }
    }
}
