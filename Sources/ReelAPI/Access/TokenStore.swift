import Foundation
public import ReelPostgres

/// API tokens in Postgres (`reel_api_tokens`, migrations/0006_tokens.sql):
/// made and revoked by `reel tokens`, checked by the API on each request
/// that needs one.
public struct TokenStore: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Makes a token and returns it with its record: the only time the
    /// token itself is seen, since only its digest is stored.
    public func create(name: String, scopes: [TokenScope], tenant: String = "", uploadsPerMinute: Int? = nil) async throws -> (
        token: String, record: APIToken
    ) {
        guard !name.isEmpty else { throw TokenError("a token needs a name (--name), to tell it apart later") }
        guard !scopes.isEmpty else { throw TokenError("a token needs at least one scope: \(TokenScope.allCases.map(\.rawValue).joined(separator: ", "))") }
        if let limit = uploadsPerMinute, limit < 1 { throw TokenError("uploads per minute must be at least 1, not \(limit)") }
        let token = TokenSecret.generate()
        let rows = try await pool.query(
            """
            INSERT INTO reel_api_tokens (name, prefix, token_sha256, scopes, tenant, uploads_per_minute)
            VALUES ($1, $2, decode($3, 'hex'), $4::text[], $5, $6) RETURNING \(Self.columns)
            """,
            [name, TokenSecret.prefix(of: token), TokenSecret.sha256Hex(token), Set(scopes).sorted().map(\.rawValue), tenant, uploadsPerMinute])
        guard let row = rows.first else { throw TokenError("the new token was not stored") }
        let record = try Self.token(row)
        return (token, record)
    }

    public func list(includeRevoked: Bool = false) async throws -> [APIToken] {
        let rows = try await pool.query(
            "SELECT \(Self.columns) FROM reel_api_tokens\(includeRevoked ? "" : " WHERE revoked_at IS NULL") ORDER BY id")
        return try rows.map(Self.token)
    }

    /// Revokes a token by id; returns false when there is no live token with that id.
    public func revoke(_ id: Int64) async throws -> Bool {
        let rows = try await pool.query(
            "UPDATE reel_api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id", [id])
        return !rows.isEmpty
    }

    /// The live token with this secret, or nil. Marks it used (at most once
    /// a minute, so a busy token does not write on every request).
    public func authenticate(_ token: String) async throws -> APIToken? {
        guard token.hasPrefix("reel_"), token.count < 200 else { return nil }
        let digest = TokenSecret.sha256Hex(token)
        let rows = try await pool.query(
            "SELECT \(Self.columns) FROM reel_api_tokens WHERE token_sha256 = decode($1, 'hex') AND revoked_at IS NULL", [digest])
        guard let row = rows.first else { return nil }
        let record = try Self.token(row)
        if (record.lastUsedAt.map { Date().timeIntervalSince($0) > 60 }) ?? true {
            _ = try? await pool.query("UPDATE reel_api_tokens SET last_used_at = now() WHERE id = $1", [record.id])
        }
        return record
    }

    static let columns = "id, name, prefix, scopes, tenant, uploads_per_minute, created_at, last_used_at, revoked_at"

    /// A token's row, decoded by name. A scope this build does not know
    /// (written by a newer version) grants nothing here.
    static func token(_ row: PostgresRow) throws -> APIToken {
        APIToken(
            id: try row.decode(Int64.self, "id"), name: try row.decode(String.self, "name"), prefix: try row.decode(String.self, "prefix"),
            scopes: try row.decode([String].self, "scopes").compactMap(TokenScope.init(rawValue:)),
            tenant: try row.decode(String.self, "tenant"), uploadsPerMinute: try row.decode(Int?.self, "uploads_per_minute"),
            createdAt: try row.decode(Date.self, "created_at"), lastUsedAt: try row.decode(Date?.self, "last_used_at"),
            revokedAt: try row.decode(Date?.self, "revoked_at"))
    }
}

/// A token request that cannot be done, said so the operator can fix it.
public struct TokenError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
