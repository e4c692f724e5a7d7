import HTTPServer

/// Matches a request to one of a fixed set of route templates such as
/// `/vault/v1/cards/{token}/reveal`. The template — never the raw path, which carries tokens —
/// is what logs and metrics name a request by.
struct Router<Handler: Sendable>: Sendable {
    struct Route: Sendable {
        var method: String
        var template: String
        var segments: [Segment]
        var handler: Handler
    }

    enum Segment: Sendable, Equatable {
        /// The UTF-8 bytes a path segment must equal.
        case literal([UInt8])
        case parameter(String)
    }

    enum Match {
        case found(Route, parameters: [String: String])
        /// The path exists, but not for this method; carries the methods it has.
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private(set) var routes: [Route] = []

    mutating func add(_ method: String, _ template: String, _ handler: Handler) {
        let segments = template.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            part.hasPrefix("{") && part.hasSuffix("}")
                ? Segment.parameter(String(part.dropFirst().dropLast()))
                : Segment.literal(Array(part.utf8))
        }
        routes.append(Route(method: method, template: template, segments: Array(segments), handler: handler))
    }

    /// Matches `path` (no query). Segments are compared as sent: percent-encoding is not decoded,
    /// so an encoded slash can never change which route is taken. The path's segments are the
    /// pieces after each `/`; they are located once, in a stack buffer, and parameters are built
    /// only for the route that matched (this runs for every request).
    func match(method: String, path: String) -> Match {
        withSegments(of: path) { path, parts in match(method: method, path: path, parts: parts) }
    }

    /// The template of the first route whose path matches, whatever its method: names a request
    /// the HTTP layer refused before it could be routed.
    func template(matchingPath path: String) -> String? {
        withSegments(of: path) { path, parts in
            routes.first { $0.segments.count == parts.count && matches($0.segments, path, parts) }?.template
        }
    }

    /// Calls `body` with the path's bytes and its segments, located once in a stack buffer.
    private func withSegments<Result>(
        of path: String, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<Range<Int>>) -> Result
    ) -> Result {
        var path = path
        return path.withUTF8 { path in
            let slash = UInt8(ascii: "/")
            return withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: path.count(where: { $0 == slash })) { parts in
                var found = 0
                for position in path.indices where path[position] == slash {
                    if found > 0 { parts[found - 1] = parts[found - 1].lowerBound..<position }
                    parts.initializeElement(at: found, to: position + 1..<path.count)
                    found += 1
                }
                return body(path, UnsafeBufferPointer(parts))
            }
        }
    }

    private func match(method: String, path: UnsafeBufferPointer<UInt8>, parts: UnsafeBufferPointer<Range<Int>>) -> Match {
        var allowed: [String] = []
        for index in routes.indices where routes[index].segments.count == parts.count
            && matches(routes[index].segments, path, parts) {
            if routes[index].method == method || (method == "HEAD" && routes[index].method == "GET") {
                let route = routes[index]
                var parameters: [String: String] = [:]
                for (segment, part) in zip(route.segments, parts) {
                    if case .parameter(let name) = segment {
                        parameters[name] = String(decoding: UnsafeBufferPointer(rebasing: path[part]), as: UTF8.self)
                    }
                }
                return .found(route, parameters: parameters)
            }
            allowed.append(routes[index].method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    private func matches(_ segments: [Segment], _ path: UnsafeBufferPointer<UInt8>,
                         _ parts: UnsafeBufferPointer<Range<Int>>) -> Bool {
        for index in segments.indices {
            switch segments[index] {
            case .literal(let literal): if !path[parts[index]].elementsEqual(literal) { return false }
            case .parameter: if parts[index].isEmpty { return false }
            }
        }
        return true
    }
}
