import CLibPQ

/// What a process finds at the end of its database URL when it starts, so a
/// wrong URL stops it with a clear message instead of failing later, one
/// statement at a time.
public struct PostgresServerCheck: Sendable {
    /// `host:port` as libpq reached it (the pooler's, behind one).
    public let server: String
    /// The server is a standby (`pg_is_in_recovery()`): it refuses every write.
    public let inRecovery: Bool
    /// The connection goes through a pooler: the process id PostgreSQL reports
    /// differs from the one the connection was given at start-up (PgBouncer
    /// hands its clients keys of its own).
    public let behindPooler: Bool

    /// Connects once to `url` and reads what is there.
    public static func run(url: String, pooling: PostgresPooling) async throws(PostgresError) -> PostgresServerCheck {
        let connection = try await PostgresConnection.connect(url, name: "reel-pg-check", pooling: pooling)
        do {
            let check = try await connection.serverCheck()
            await connection.close()
            return check
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Why the process cannot work through this URL, or nil: a transaction
    /// pooler it was not told about, or (for a process that writes) a standby.
    /// `variable` names the setting the operator should fix.
    public func problem(pooling: PostgresPooling, writes: Bool, variable: String = "REEL_DATABASE_URL") -> PostgresError? {
        if behindPooler && pooling == .none {
            return PostgresError(
                code: .clientMisuse,
                message: "\(variable) reaches PostgreSQL through a connection pooler at \(server) "
                    + "(the server's process id differs from the one the connection was given, as with PgBouncer), "
                    + "but REEL_DATABASE_POOLER is not set",
                hint: "set REEL_DATABASE_POOLER=transaction for PgBouncer's pool_mode = transaction "
                    + "(session for pool_mode = session), or point \(variable) at PostgreSQL itself")
        }
        if writes && inRecovery {
            return PostgresError(
                code: .clientMisuse,
                message: "\(variable) reached \(server), a standby in recovery: it is read-only, and this process writes",
                hint: "point it at the primary; with a standby, list every host and ask for the writable one: "
                    + "postgresql://reel@primary:5432,standby:5432/reel?target_session_attrs=read-write")
        }
        return nil
    }
}

extension PostgresConnection {
    /// What ``PostgresServerCheck/run(url:pooling:)`` reads, on a connection already open.
    public func serverCheck() throws(PostgresError) -> PostgresServerCheck {
        let conn = try live()
        let host = PQhost(conn).map { String(cString: $0) } ?? "?"
        let port = PQport(conn).map { String(cString: $0) } ?? "?"
        let givenPID = PQbackendPID(conn)
        let row = try query("SELECT pg_backend_pid(), pg_is_in_recovery()").first
        let serverPID = try row?.decode(Int32.self, 0)
        let inRecovery = try row?.decode(Bool.self, 1) ?? false
        return PostgresServerCheck(server: "\(host):\(port)", inRecovery: inRecovery, behindPooler: serverPID != givenPID)
    }
}
