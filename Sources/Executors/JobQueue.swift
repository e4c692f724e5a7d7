/// A first-in, first-out queue over a ring of slots that grows by doubling and never shrinks:
/// appending and taking are O(1) with no allocation once the queue has reached its working size.
struct JobQueue<Element> {
    private var slots: [Element?] = Array(repeating: nil, count: 64)
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        if count == slots.count { grow() }
        slots[(head + count) & (slots.count - 1)] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = slots[head].take()
        head = (head + 1) & (slots.count - 1)
        count -= 1
        return element
    }

    /// Doubles the ring (its size stays a power of two), moving the elements to its start in order.
    private mutating func grow() {
        var larger: [Element?] = Array(repeating: nil, count: slots.count * 2)
        for offset in 0..<count {
            larger[offset] = slots[(head + offset) & (slots.count - 1)].take()
        }
        slots = larger
        head = 0
    }
}
