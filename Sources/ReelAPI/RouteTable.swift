/// The methods `openapi.yaml` (and ``ReelAPI/routes``) declare for a path:
/// a request with another method on a known path is answered `405` with
/// `Allow` (RFC 9110 §15.5.6), not `404`.
enum RouteTable {
    /// `(method, path template)` pairs, e.g. `("GET", ["v1", "videos", "{id}"])`.
    static let templates: [(method: String, segments: [Substring])] = ReelAPI.routes.compactMap { route in
        let parts = route.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), parts[1].split(separator: "/"))
    }

    /// The declared methods of `path`, in the order of the table; empty for an unknown path.
    static func methods(of path: String) -> [String] {
        let segments = path.split(separator: "/")
        var found: [String] = []
        for template in templates where matches(template.segments, segments) && !found.contains(template.method) {
            found.append(template.method)
        }
        // Every GET route answers HEAD too (the router generates them).
        if found.contains("GET"), !found.contains("HEAD") { found.append("HEAD") }
        return found
    }

    static func matches(_ template: [Substring], _ segments: [Substring]) -> Bool {
        guard template.count == segments.count else { return false }
        for (pattern, segment) in zip(template, segments) {
            if pattern.hasPrefix("{"), let close = pattern.firstIndex(of: "}") {
                let suffix = pattern[pattern.index(after: close)...]
                guard segment.count > suffix.count, segment.hasSuffix(suffix) else { return false }
            } else if pattern != segment {
                return false
            }
        }
        return true
    }
}
