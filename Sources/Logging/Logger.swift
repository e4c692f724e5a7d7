/// A structured logger writing one redacted JSON object per line.
///
/// ```swift
/// var log = Logger(label: "coffer.http")
/// log[metadataKey: "node"] = "a1"
/// log.info("request", metadata: ["method": "GET", "route": "/vault/v1/cards/{token}", "status": 200])
/// // {"ts":"2026-11-23T09:00:00.123Z","level":"info","label":"coffer.http","msg":"request","method":"GET","node":"a1","route":"/vault/v1/cards/{token}","status":200}
/// ```
///
/// - Keys come in a fixed order: `ts`, `level`, `label`, `msg`, then the metadata keys sorted
///   (nested dictionaries too). Call metadata overrides logger metadata with the same key. A
///   metadata key equal to one of the four reserved names is written as `metadata.<key>` (and is
///   dropped if that name is taken as well), so no line ever holds a duplicate key.
/// - Below ``logLevel`` nothing is evaluated: neither the message nor the metadata autoclosure.
/// - Every line goes through ``Redactor`` after formatting and before the sink: message, label,
///   metadata keys and values alike. Numbers that would be redacted are written as the string
///   `"[REDACTED]"`, so the output stays valid JSON.
///
/// A value type: copies are independent (set metadata on a copy for a request-scoped logger).
/// The sink is shared between copies.
public struct Logger: Sendable {
    public let label: String
    /// Lines below this level are skipped.
    public var logLevel: LogLevel
    /// Attached to every line of this logger.
    public var metadata: [String: LogValue]
    public var sink: any LogSink
    public var clock: LogClock

    public init(
        label: String,
        logLevel: LogLevel = .info,
        metadata: [String: LogValue] = [:],
        sink: any LogSink = StreamLogSink.standardError,
        clock: LogClock = .system
    ) {
        self.label = label
        self.logLevel = logLevel
        self.metadata = metadata
        self.sink = sink
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> LogValue? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// A copy with `metadata` added to (and overriding) this logger's.
    public func with(metadata extra: [String: LogValue]) -> Logger {
        var copy = self
        copy.metadata.merge(extra) { _, new in new }
        return copy
    }

    @inline(__always)
    public func isEnabled(_ level: LogLevel) -> Bool { level >= logLevel }

    public func log(
        level: LogLevel,
        _ message: @autoclosure () -> String,
        metadata: @autoclosure () -> [String: LogValue] = [:]
    ) {
        guard level >= logLevel else { return }
        let extra = metadata()
        let merged: [String: LogValue]
        if extra.isEmpty {
            merged = self.metadata
        } else if self.metadata.isEmpty {
            merged = extra
        } else {
            merged = self.metadata.merging(extra) { _, new in new }
        }
        let line = Self.formatLine(
            timestamp: clock.now(), level: level, label: label, message: message(), metadata: merged)
        sink.write(line: line)
    }

    /// The same line as `log(level:_:metadata:)` with `Dictionary(uniqueKeysWithValues: fields)`,
    /// for call sites that know their keys (an access-log line per request): the fields are
    /// sorted as given, without building or hashing a dictionary. Keys must be distinct.
    public func log(level: LogLevel, _ message: @autoclosure () -> String, fields: @autoclosure () -> [(key: String, value: LogValue)]) {
        guard level >= logLevel else { return }
        var members = fields()
        guard self.metadata.isEmpty, !members.contains(where: { Self.isReserved($0.key) }) else {
            return log(level: level, message(), metadata: Dictionary(members, uniquingKeysWith: { _, last in last }))
        }
        if members.count > 1 { members.sort { $0.key < $1.key } }
        sink.write(line: Self.formatLine(timestamp: clock.now(), level: level, label: label, message: message(), members: members))
    }

    public func trace(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: LogValue] = [:]) {
        log(level: .trace, message(), metadata: metadata())
    }

    public func debug(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: LogValue] = [:]) {
        log(level: .debug, message(), metadata: metadata())
    }

    public func info(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: LogValue] = [:]) {
        log(level: .info, message(), metadata: metadata())
    }

    public func notice(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: LogValue] = [:]) {
        log(level: .notice, message(), metadata: metadata())
    }

    public func warning(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: LogValue] = [:]) {
        log(level: .warning, message(), metadata: metadata())
    }

    public func error(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: LogValue] = [:]) {
        log(level: .error, message(), metadata: metadata())
    }

    public func critical(_ message: @autoclosure () -> String, metadata: @autoclosure () -> [String: LogValue] = [:]) {
        log(level: .critical, message(), metadata: metadata())
    }

    // MARK: Formatting

    /// `ts`, `level`, `label`, `msg`: checked without hashing, as every key of every line is.
    @inline(__always)
    static func isReserved(_ key: String) -> Bool {
        switch key.utf8.count {
        case 2: key == "ts"
        case 3: key == "msg"
        case 5: key == "level" || key == "label"
        default: false
        }
    }

    /// One complete line: the JSON object, redacted, and a final `\n`.
    static func formatLine(
        timestamp: LogTimestamp, level: LogLevel, label: String, message: String, metadata: [String: LogValue]
    ) -> [UInt8] {
        formatLine(timestamp: timestamp, level: level, label: label, message: message,
                   members: metadata.isEmpty ? [] : orderedMembers(metadata))
    }

    /// One complete line from members already in order (sorted, no reserved key).
    static func formatLine(
        timestamp: LogTimestamp, level: LogLevel, label: String, message: String,
        members: [(key: String, value: LogValue)]
    ) -> [UInt8] {
        var writer = JSONLineWriter(capacity: 256)
        writer.bytes.append(contentsOf: tsPrefix)
        timestamp.appendISO8601(to: &writer.bytes)
        writer.bytes.append(contentsOf: levelPrefixes[level.rawValue])
        writer.writeString(label)
        writer.bytes.append(contentsOf: msgPrefix)
        writer.writeString(message)
        for member in members {
            writer.bytes.append(UInt8(ascii: ","))
            writer.writeMember(member.key, member.value)
        }
        writer.bytes.append(UInt8(ascii: "}"))
        Redactor.redact(bytes: &writer.bytes)
        writer.bytes.append(UInt8(ascii: "\n"))
        return writer.bytes
    }

    private static func orderedMembers(_ metadata: [String: LogValue]) -> [(key: String, value: LogValue)] {
        var members = Array(metadata)
        if members.contains(where: { isReserved($0.key) }) {
            members = members.compactMap { member in
                guard isReserved(member.key) else { return member }
                let renamed = "metadata." + member.key
                return metadata[renamed] == nil ? (key: renamed, value: member.value) : nil
            }
        }
        if members.count > 1 { members.sort { $0.key < $1.key } }
        return members
    }

    private static let tsPrefix: [UInt8] = Array(#"{"ts":""#.utf8)
    private static let msgPrefix: [UInt8] = Array(#","msg":"#.utf8)
    private static let levelPrefixes: [[UInt8]] = LogLevel.allCases.map {
        Array(#"","level":"\#($0.name)","label":"#.utf8)
    }
}
