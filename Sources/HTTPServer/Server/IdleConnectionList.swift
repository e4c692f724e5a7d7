/// One event loop's idle keep-alive connections, least recently idle first: at the connection
/// cap the oldest makes room for a new client, as nginx reuses keep-alive connections under
/// `worker_connections` pressure.
///
/// Intrusive — the links live in the connections — so listing, unlisting and finding the oldest
/// cost O(1), with no allocation and no scan of the loop's connections. A listed connection is
/// held by its neighbours' links; every connection leaves the list before it is dropped (its
/// loop unlists it when it closes), so no reference cycle outlives it. Loop thread only.
struct IdleConnectionList {
    private(set) var oldest: Connection?
    private var newest: Connection?

    var isEmpty: Bool { oldest == nil }

    /// When the oldest listed connection became idle (the loop's clock), or 0 when none is.
    var oldestSince: UInt64 { oldest?.idleLinks.since ?? 0 }

    /// Lists `connection` as the most recently idle, at `now`.
    mutating func append(_ connection: Connection, now: UInt64) {
        guard !connection.idleLinks.isListed else { return }
        connection.idleLinks = IdleLinks(isListed: true, since: now, older: newest, newer: nil)
        if let newest {
            newest.idleLinks.newer = connection
        } else {
            oldest = connection
        }
        newest = connection
    }

    mutating func remove(_ connection: Connection) {
        guard connection.idleLinks.isListed else { return }
        let links = connection.idleLinks
        if let older = links.older {
            older.idleLinks.newer = links.newer
        } else {
            oldest = links.newer
        }
        if let newer = links.newer {
            newer.idleLinks.older = links.older
        } else {
            newest = links.older
        }
        connection.idleLinks = IdleLinks()
    }
}

/// A connection's place in its loop's ``IdleConnectionList``.
struct IdleLinks {
    var isListed = false
    /// When the connection became idle (the loop's clock).
    var since: UInt64 = 0
    var older: Connection?
    var newer: Connection?
}
