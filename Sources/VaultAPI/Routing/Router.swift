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
        case literal(String)
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
                : Segment.literal(String(part))
        }
        routes.append(Route(method: method, template: template, segments: Array(segments), handler: handler))
    }

    /// Matches `path` (no query). Segments are compared as sent: percent-encoding is not decoded,
    /// so an encoded slash can never change which route is taken. Compares UTF-8 bytes and
    /// builds the parameters only for the route that matched (this runs for every request).
    func match(method: String, path: String) -> Match {
        let parts = Array(path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst())
        var allowed: [String] = []
        for index in routes.indices where routes[index].segments.count == parts.count && matches(routes[index].segments, parts) {
            if routes[index].method == method || (method == "HEAD" && routes[index].method == "GET") {
                let route = routes[index]
                var parameters: [String: String] = [:]
                for (segment, part) in zip(route.segments, parts) {
                    if case .parameter(let name) = segment { parameters[name] = String(Substring(part)) }
                }
                return .found(route, parameters: parameters)
            }
            allowed.append(routes[index].method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }

    private func matches(_ segments: [Segment], _ parts: [Substring.UTF8View]) -> Bool {
        for index in segments.indices {
            switch segments[index] {
            case .literal(let literal): if !literal.utf8.elementsEqual(parts[index]) { return false }
            case .parameter: if parts[index].isEmpty { return false }
            }
        }
        return true
    }
}
