/// Why a registration was refused. Registration happens at start-up, so these are programming
/// errors surfaced early; nothing here is thrown on the per-request path.
public enum MetricsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    case invalidMetricName(String)
    /// Not `[a-zA-Z_][a-zA-Z0-9_]*`, or starting with `__` (reserved for Prometheus).
    case invalidLabelName(String)
    /// A label name given twice to one family.
    case duplicateLabelName(String)
    /// `le` on a histogram: the exposition uses it for the bucket bound.
    case reservedLabelName(String)
    /// Histogram bounds that are not finite and strictly increasing.
    case invalidBuckets([Double])
    /// The name (or one of the sample names it produces, such as `x_count` for histogram `x`)
    /// is already registered with another type, help, label set or buckets.
    case conflictingRegistration(String)

    public var description: String {
        switch self {
        case .invalidMetricName(let name): "invalid metric name \"\(name)\": expected [a-zA-Z_:][a-zA-Z0-9_:]*"
        case .invalidLabelName(let name):
            "invalid label name \"\(name)\": expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __"
        case .duplicateLabelName(let name): "label name \"\(name)\" given twice"
        case .reservedLabelName(let name): "label name \"\(name)\" is reserved for histograms"
        case .invalidBuckets(let bounds): "histogram buckets must be finite and strictly increasing: \(bounds)"
        case .conflictingRegistration(let name): "metric \"\(name)\" is already registered differently"
        }
    }
}

enum Validation {
    static func checkMetricName(_ name: String) throws(MetricsError) {
        guard isValid(name, allowColon: true) else { throw .invalidMetricName(name) }
    }

    static func checkLabelNames(_ names: [String], reserved: Set<String> = []) throws(MetricsError) {
        var seen = Set<String>()
        for name in names {
            guard isValid(name, allowColon: false), !name.hasPrefix("__") else { throw .invalidLabelName(name) }
            guard !reserved.contains(name) else { throw .reservedLabelName(name) }
            guard seen.insert(name).inserted else { throw .duplicateLabelName(name) }
        }
    }

    private static func isValid(_ name: String, allowColon: Bool) -> Bool {
        guard !name.isEmpty else { return false }
        for (offset, byte) in name.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                continue
            case UInt8(ascii: ":") where allowColon:
                continue
            case UInt8(ascii: "0")...UInt8(ascii: "9") where offset > 0:
                continue
            default:
                return false
            }
        }
        return true
    }
}
