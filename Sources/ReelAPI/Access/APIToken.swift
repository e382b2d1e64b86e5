public import Foundation
import Crypto

/// What a token may do. `admin` includes `read-admin`; nothing includes
/// `upload`, so an operator's token cannot be used by a leaked uploader and
/// an uploader's cannot read the queues.
public enum TokenScope: String, Sendable, CaseIterable, Codable, Comparable {
    case upload
    case readAdmin = "read-admin"
    case admin

    public static func < (a: TokenScope, b: TokenScope) -> Bool { a.rawValue < b.rawValue }
}

/// A token as the catalog lists it: never the token itself, which is shown
/// once, when it is made, and only its SHA-256 is kept.
public struct APIToken: Sendable, Codable, Hashable {
    public let id: Int64
    public let name: String
    /// The token's first characters (`reel_ab12cd34`), to tell tokens apart.
    public let prefix: String
    public let scopes: [TokenScope]
    /// Uploads made with the token belong to this tenant; "" lets the uploader say.
    public let tenant: String
    /// New uploads a minute across every API instance; nil means no limit.
    public let uploadsPerMinute: Int?
    public let createdAt: Date
    public let lastUsedAt: Date?
    public let revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, scopes, tenant
        case uploadsPerMinute = "uploads_per_minute"
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }

    /// Whether the token may do what `scope` guards (`admin` covers `read-admin`).
    public func allows(_ scope: TokenScope) -> Bool { Caller.allows(Set(scopes), scope) }
}

/// Who made a request, after its token was checked.
public struct Caller: Sendable {
    /// The token's name, or "bootstrap" for `REEL_ADMIN_TOKEN`.
    public let name: String
    /// nil for the bootstrap token, which lives in the environment, not the catalog.
    public let tokenID: Int64?
    public let scopes: Set<TokenScope>
    public let tenant: String
    public let uploadsPerMinute: Int?
    /// The token's listed prefix (random): names its upload counter in Redis,
    /// so databases that share a Redis never share counters.
    public var counterKey: String? = nil

    public func allows(_ scope: TokenScope) -> Bool { Caller.allows(scopes, scope) }

    static func allows(_ scopes: Set<TokenScope>, _ scope: TokenScope) -> Bool {
        scopes.contains(scope) || (scope == .readAdmin && scopes.contains(.admin))
    }
}

/// Making and hashing tokens. A token is `reel_` and 32 random bytes in
/// base64url: guessing one is hopeless, so a plain SHA-256 (not a slow
/// password hash) is the right digest, as GitHub and Stripe do for theirs.
public enum TokenSecret {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "reel_" + base64url(Data(bytes))
    }

    public static func sha256Hex(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// What lists show of a token: enough to recognise it, too little to use it.
    public static func prefix(of token: String) -> String { String(token.prefix(13)) }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
