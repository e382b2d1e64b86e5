import Foundation

/// What stands between Reel and PostgreSQL, as the operator declares it.
///
/// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`) hands
/// the client a different server connection for every transaction, so nothing
/// that lives in a session survives: named prepared statements, `SET`, `LISTEN`,
/// session advisory locks. Reel cannot ask PgBouncer which mode it runs in, so
/// the operator says it; ``PostgresServerCheck`` refuses to start when a pooler
/// is detected and nothing was said.
public enum PostgresPooling: String, Sendable, CaseIterable {
    /// PostgreSQL itself.
    case none
    /// A pooler that keeps one server connection per client session: the same as `none` for Reel.
    case session
    /// A pooler that lends a server connection per transaction.
    case transaction

    /// True when a client keeps its server session between statements, so
    /// server-side prepared statements and session settings may be used.
    public var keepsSession: Bool { self != .transaction }

    /// Parses `none`, `session` or `transaction` (any case); nil or empty means `none`.
    public init(setting: String?) throws(PostgresError) {
        let text = (setting ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if text.isEmpty {
            self = .none
            return
        }
        guard let value = PostgresPooling(rawValue: text) else {
            throw PostgresError(
                code: .clientMisuse,
                message: "REEL_DATABASE_POOLER is '\(setting ?? "")'; use none, session or transaction",
                hint: "transaction for PgBouncer's pool_mode = transaction")
        }
        self = value
    }
}
