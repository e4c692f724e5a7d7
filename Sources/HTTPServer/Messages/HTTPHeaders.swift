/// Header fields of a request or response, in the order they were received or added.
///
/// An ordered list of `(name, value)` pairs rather than a dictionary, because HTTP allows a
/// name to repeat and because the order is observable (and must round-trip). Names keep the
/// case they were sent with; lookups compare names ASCII-case-insensitively, as RFC 9110 §5.1
/// requires. `description` lists names only, so logging headers never writes an
/// `Authorization` value.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, Equatable, Hashable {
    public typealias Element = (name: String, value: String)

    struct Field: Sendable, Hashable {
        var name: String
        var value: String
    }

    private(set) var fields: [Field]

    public init() {
        fields = []
    }

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// Keeps the literal's order: `["Content-Type": "a", "X-B": "b"]` iterates as written.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The number of fields (a repeated name counts once per line).
    public var count: Int { fields.count }

    public var isEmpty: Bool { fields.isEmpty }

    /// The value of the first field named `name`, or nil.
    public subscript(_ name: String) -> String? {
        for field in fields where Self.namesEqual(field.name, name) {
            return field.value
        }
        return nil
    }

    /// The values of every field named `name`, in order.
    public func values(for name: String) -> [String] {
        fields.compactMap { Self.namesEqual($0.name, name) ? $0.value : nil }
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { Self.namesEqual($0.name, name) }
    }

    /// Appends a field, keeping any already present with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Sets the first field named `name` to `value` in place (keeping its position and
    /// spelling) and removes the others, or appends the field when absent.
    public mutating func replaceOrAdd(_ name: String, _ value: String) {
        guard let first = fields.firstIndex(where: { Self.namesEqual($0.name, name) }) else {
            add(name, value)
            return
        }
        fields[first].value = value
        var index = fields.index(after: first)
        while index < fields.endIndex {
            if Self.namesEqual(fields[index].name, name) {
                fields.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    public mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    public func makeIterator() -> Iterator {
        Iterator(base: fields.makeIterator())
    }

    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Field]>

        public mutating func next() -> Element? {
            base.next().map { (name: $0.name, value: $0.value) }
        }
    }

    /// ASCII case-insensitive name comparison; names are tokens, so ASCII folding is the whole
    /// of RFC 9110's case-insensitivity and no Unicode case mapping is needed.
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil):
                return true
            case (let x?, let y?):
                if x != y && ASCII.lowercased(x) != ASCII.lowercased(y) { return false }
            default:
                return false
            }
        }
    }
}

extension HTTPHeaders: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names only: values may be credentials.
    public var description: String {
        "[" + fields.map(\.name).joined(separator: ", ") + "]"
    }

    public var debugDescription: String { "HTTPHeaders(\(description))" }

    public var customMirror: Mirror {
        Mirror(self, children: ["names": fields.map(\.name)], displayStyle: .struct)
    }
}
