/// The severity of a log line, ordered from `trace` (most verbose) to `critical`.
///
/// The names are those of apple/swift-log and of the `level` field in the JSON output.
public enum LogLevel: Int, Sendable, Hashable, CaseIterable, Comparable, LosslessStringConvertible {
    case trace
    case debug
    case info
    case notice
    case warning
    case error
    case critical

    /// The lowercase name written in the `level` field: `"trace"` … `"critical"`.
    public var name: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }

    public var description: String { name }

    /// Parses a level name, case-insensitively (`"info"`, `"WARNING"`); `"warn"` is accepted
    /// for `warning`. For configuration files and command-line flags.
    public init?(_ description: String) {
        switch description.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "notice": self = .notice
        case "warning", "warn": self = .warning
        case "error": self = .error
        case "critical": self = .critical
        default: return nil
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
