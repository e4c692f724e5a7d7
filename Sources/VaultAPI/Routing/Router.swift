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
    /// so an encoded slash can never change which route is taken.
    func match(method: String, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var allowed: [String] = []
        for route in routes where route.segments.count == parts.count {
            var parameters: [String: String] = [:]
            var matches = true
            for (segment, part) in zip(route.segments, parts) {
                switch segment {
                case .literal(let literal) where literal == part:
                    continue
                case .parameter(let name) where !part.isEmpty:
                    parameters[name] = String(part)
                default:
                    matches = false
                }
                if !matches { break }
            }
            guard matches else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route, parameters: parameters)
            }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
