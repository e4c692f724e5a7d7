import Foundation

/// What failed authentications are counted by: the peer's IPv4 address, or its IPv6 /64 — one
/// subscriber's network, in which a host can take a new address for every request. An
/// IPv4-mapped IPv6 address (a dual-stack listener) counts as its IPv4 address. The address comes
/// from the connection, never from a header (`X-Forwarded-For` is not trusted).
struct FailureSource: Hashable, Sendable, CustomStringConvertible {
    /// `203.0.113.7`, `2001:db8:0:1::/64`, `unknown` or `other`: what audit entries name as the source.
    let description: String

    private init(_ description: String) { self.description = description }

    /// The source of a request from `peer` (an IP address as text, without port); anything that
    /// is not an IP address (no peer, or text the socket layer could not format) is `unknown`.
    init(peer: String?) {
        guard let peer else { self = .unknown; return }
        if let ipv4 = Self.ipv4Bytes(peer[...]) {
            self.init(Self.ipv4Text(ipv4))
        } else if let groups = Self.ipv6Groups(peer) {
            if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xFFFF {
                self.init(Self.ipv4Text([UInt8(groups[6] >> 8), UInt8(groups[6] & 0xFF), UInt8(groups[7] >> 8), UInt8(groups[7] & 0xFF)]))
            } else {
                self.init(groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64")
            }
        } else {
            self = .unknown
        }
    }

    static let unknown = FailureSource("unknown")
    /// Every source the tables had no room for: they share one entry, so memory stays bounded.
    static let other = FailureSource("other")

    private static func ipv4Text(_ bytes: [UInt8]) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    /// Four decimal numbers of at most three digits, each at most 255.
    private static func ipv4Bytes(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let byte = UInt8(part) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// The eight 16-bit groups of an IPv6 address in RFC 4291 text form (`::` at most once, an
    /// IPv4 tail, a `%zone` suffix ignored), or nil.
    private static func ipv6Groups(_ text: String) -> [UInt16]? {
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let halves = String(address).components(separatedBy: "::")
        switch halves.count {
        case 1:
            guard let groups = groups(halves[0][...]), groups.count == 8 else { return nil }
            return groups
        case 2:
            guard let head = groups(halves[0][...]), let tail = groups(halves[1][...]), head.count + tail.count < 8 else {
                return nil
            }
            return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        default:
            return nil
        }
    }

    /// Colon-separated groups of one to four hex digits; the last may be an IPv4 address (two groups).
    private static func groups(_ text: Substring) -> [UInt16]? {
        guard !text.isEmpty else { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, let ipv4 = ipv4Bytes(part) {
                groups += [UInt16(ipv4[0]) << 8 | UInt16(ipv4[1]), UInt16(ipv4[2]) << 8 | UInt16(ipv4[3])]
            } else {
                guard (1...4).contains(part.utf8.count), part.utf8.allSatisfy(Self.isHexDigit),
                      let group = UInt16(part, radix: 16) else { return nil }
                groups.append(group)
            }
        }
        return groups
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
