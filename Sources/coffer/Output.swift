import Foundation

/// The CLI's two channels: results on stdout (machine-readable where documented), everything
/// else on stderr, so `coffer init | jq` sees exactly one JSON object.
enum Output {
    static func result(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func note(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// One JSON object with sorted keys on one line.
    static func json(_ object: [String: any Sendable]) {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        result(String(decoding: data, as: UTF8.self))
    }
}
