import Foundation

/// Which web pages on other origins may call the API (Cross-Origin Resource
/// Sharing): an app's page that plays videos, reads their metadata and
/// uploads with tus. Empty means none (a browser then refuses every
/// cross-origin read); `*` means any page.
///
/// The API applies it (ReelAPI's `CORSHeaders`); an edge's VCL adds the same
/// headers to cached objects, which it keeps the same for every page.
public struct CORSPolicy: Sendable, Equatable {
    /// Allowed origins exactly as a browser sends them (`https://app.example.com`), or `*`.
    public let origins: [String]

    public init(origins: [String]) {
        self.origins = origins.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `REEL_CORS_ORIGINS`: comma-separated origins.
    public init(list: String) {
        self.init(origins: list.split(separator: ",").map(String.init))
    }

    public var isEnabled: Bool { !origins.isEmpty }

    /// Configured origins a browser never sends (a path, a trailing slash, no scheme): a
    /// mistake to refuse at start-up rather than a page that silently cannot call the API.
    /// Host names and IPv4 addresses only, so an origin is safe to write into VCL.
    public var mistakes: [String] {
        origins.filter { $0 != "*" && $0.range(of: "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", options: .regularExpression) == nil }
    }
    public var allowsAny: Bool { origins.contains("*") }

    /// The `Access-Control-Allow-Origin` for `origin`, or nil when it is not allowed.
    public func allowOrigin(for origin: String) -> String? {
        if allowsAny { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    /// Request headers a page may send: tus's, a token, a range, a region hint.
    public static let allowedHeaders = [
        "Authorization", "Content-Type", "Range", "X-Reel-Region", "Tus-Resumable", "Upload-Length", "Upload-Offset",
        "Upload-Metadata", "Upload-Defer-Length", "Upload-Checksum",
    ]
    /// Response headers a page may read: where a tus upload stands and what it became.
    public static let exposedHeaders = [
        "Location", "Upload-Offset", "Upload-Length", "Upload-Expires", "Upload-Metadata", "Upload-Defer-Length", "Tus-Resumable",
        "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm", "Reel-Video-Id", "Content-Range", "Accept-Ranges",
        "Content-Length", "Retry-After", "Repr-Digest",
    ]
    public static let methods = "GET, HEAD, POST, PATCH, DELETE, OPTIONS"
}

