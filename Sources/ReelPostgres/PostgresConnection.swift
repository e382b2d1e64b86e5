import CLibPQ
import Foundation
import ReelThreads
import Synchronization

/// One libpq connection, with a thread of its own.
///
/// Every method runs on the connection's ``ThreadExecutor``, so libpq's blocking
/// calls park that thread and never one of the cooperative pool's. Methods are
/// synchronous inside the actor: code that holds the actor isolated (a
/// transaction body, a pipeline) runs statements back to back with no awaits
/// and no interleaving. Get connections from a ``PostgresPool``; open one
/// directly for a long-lived session such as a leader lock.
public actor PostgresConnection {
    private let executor: ThreadExecutor
    private var handle: OpaquePointer?
    /// Mirrors of libpq's connection and transaction status after the last
    /// call, readable without hopping onto the connection's thread (the pool
    /// checks them on every release).
    private let usable = Atomic<Bool>(false)
    /// The socket, for ``peerClosed``; -1 when there is none.
    private let socket = Atomic<Int32>(-1)
    /// Server-side prepared statements of this session, by SQL text.
    private var prepared: [String: String] = [:]
    /// The libpq connection string or URL this connection was opened with.
    public nonisolated let url: String
    /// What lies between this connection and the server; decides whether
    /// ``queryPrepared(_:_:)`` may keep server-side statements.
    public nonisolated let pooling: PostgresPooling

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Opens a connection (blocking in libpq on the new connection's own thread).
    ///
    /// `url` is anything libpq accepts: `postgresql://user@host:port/db?options=…`
    /// or `host=… dbname=…`. The session uses UTC and ISO dates so that
    /// timestamps decode the same way everywhere (settings PgBouncer tracks
    /// per client, so they hold through a transaction pooler too).
    public static func connect(
        _ url: String, name: String = "reel-pg", pooling: PostgresPooling = .none
    ) async throws(PostgresError) -> PostgresConnection {
        let connection = PostgresConnection(url: url, pooling: pooling, executor: ThreadExecutor(name: name))
        do {
            try await connection.open()
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    private init(url: String, pooling: PostgresPooling, executor: ThreadExecutor) {
        self.url = url
        self.pooling = pooling
        self.executor = executor
    }

    isolated deinit {
        if let handle { PQfinish(handle) }
        executor.shutdown()
    }

    private func open() throws(PostgresError) {
        guard let conn = PQconnectdb(url) else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            throw PostgresError(
                code: .connectionFailed,
                message: "cannot connect to PostgreSQL: \(message)",
                hint: "check that the server runs and REEL_DATABASE_URL points at it")
        }
        // Notices (e.g. "relation already exists, skipping") would go to stderr.
        PQsetNoticeReceiver(conn, { _, _ in }, nil)
        handle = conn
        socket.store(PQsocket(conn), ordering: .releasing)
        try execute("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'; SET application_name = 'reel'")
        refreshStatus()
    }

    /// Closes the connection and ends its thread.
    public func close() {
        dropSession()
        executor.shutdown()
    }

    /// Ends the server session but keeps the thread, so later calls fail
    /// cleanly ("the connection is closed") and the pool replaces the connection.
    private func dropSession() {
        if let handle { PQfinish(handle) }
        handle = nil
        socket.store(-1, ordering: .releasing)
        usable.store(false, ordering: .releasing)
    }

    /// False once the connection broke (server restart, network): drop it.
    public var isHealthy: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// True inside an open transaction block.
    public var inTransaction: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) != PQTRANS_IDLE
    }

    /// True when the connection is open, healthy and outside a transaction
    /// block as of its last call: fit to hand to the next user.
    public nonisolated var isReusable: Bool { usable.load(ordering: .acquiring) }

    /// True when the server has spoken or hung up while this connection sat
    /// idle: after a server restart or a terminated backend, the socket is
    /// readable (the FATAL notice, then EOF). An idle session that does not
    /// LISTEN is never sent anything else, so such a connection is dead and
    /// a query on it would fail without having run. A non-blocking poll of
    /// the socket, safe only while nobody uses the connection (the pool's idle list).
    public nonisolated var peerClosed: Bool {
        let fd = socket.load(ordering: .acquiring)
        guard fd >= 0 else { return true }
        var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&probe, 1, 0) != 0
    }

    func refreshStatus() {
        guard let handle else { return usable.store(false, ordering: .releasing) }
        usable.store(PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE, ordering: .releasing)
    }

    /// The server process id serving this connection (what `pg_stat_activity.pid` shows).
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    func live() throws(PostgresError) -> OpaquePointer {
        guard let handle else {
            throw PostgresError(code: .clientMisuse, message: "the connection is closed")
        }
        return handle
    }

    /// Runs one statement with `$1…$n` parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ binds: [(any PostgresEncodable)?] = []) throws(PostgresError) -> PostgresResult {
        let conn = try live()
        let result = PostgresBinds.withCStrings(binds) { values, count in
            PQexecParams(conn, sql, count, nil, values, nil, nil, 0)
        }
        return try check(result, sql: sql)
    }

    /// Like ``query(_:_:)``, but parses and plans `sql` once per connection
    /// (`PQprepare`) and only binds and executes it afterwards. For the hot
    /// statements a process runs thousands of times: fetch, enqueue, heartbeat.
    /// Through a transaction pooler the next statement may reach another
    /// server session, so there it is a plain ``query(_:_:)``.
    @discardableResult
    public func queryPrepared(_ sql: String, _ binds: [(any PostgresEncodable)?] = []) throws(PostgresError) -> PostgresResult {
        guard pooling.keepsSession else { return try query(sql, binds) }
        let conn = try live()
        let name: String
        if let known = prepared[sql] {
            name = known
        } else {
            name = "reel_\(prepared.count + 1)"
            _ = try check(PQprepare(conn, name, sql, 0, nil), sql: sql)
            prepared[sql] = name
        }
        let result = PostgresBinds.withCStrings(binds) { values, count in
            PQexecPrepared(conn, name, count, values, nil, nil, 0)
        }
        do {
            return try check(result, sql: sql)
        } catch where error.sqlState == "0A000" || error.sqlState == "26000" {
            // The schema changed under the plan (or it was deallocated): prepare again once.
            prepared[sql] = nil
            _ = try? execute("DEALLOCATE \(name)")
            return try query(sql, binds)
        }
    }

    /// Runs one or more statements without parameters (simple query protocol).
    public func execute(_ sql: String) throws(PostgresError) {
        let conn = try live()
        _ = try check(PQexec(conn, sql), sql: sql)
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    ///
    /// The body gets the connection isolated, so its statements are plain
    /// synchronous calls and nothing else can use the connection meanwhile.
    @discardableResult
    public func withTransaction<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body(self)
            try execute("COMMIT")
            return value
        } catch {
            if isHealthy { try? execute("ROLLBACK") }
            throw error
        }
    }

    func check(_ result: OpaquePointer?, sql: String) throws(PostgresError) -> PostgresResult {
        defer { refreshStatus() }
        guard let result else { throw connectionError(sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_COPY_IN, PGRES_PIPELINE_SYNC, PGRES_SINGLE_TUPLE:
            return PostgresResult(handle: result, query: sql)
        default:
            let error = serverError(result, sql: sql)
            PQclear(result)
            if error.sqlState == "25006" {
                // A read-only server: a standby, or a primary demoted under us. Drop the
                // session so the pool reconnects and libpq's target_session_attrs finds the primary.
                dropSession()
            }
            throw error
        }
    }

    func serverError(_ result: OpaquePointer, sql: String) -> PostgresError {
        func field(_ code: Int32) -> String? { PQresultErrorField(result, code).map { String(cString: $0) } }
        let state = field(cpq_diag_sqlstate())
        let primary = field(cpq_diag_message_primary())
            ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        if state == nil, let handle, PQstatus(handle) != CONNECTION_OK {
            return PostgresError(code: .connectionClosed, message: "the connection to PostgreSQL was lost: \(primary)", query: sql)
        }
        return PostgresError(
            code: .server, message: primary, sqlState: state,
            detail: field(cpq_diag_message_detail()), hint: field(cpq_diag_message_hint()), query: sql)
    }

    func connectionError(sql: String?) -> PostgresError {
        let message = handle.map { String(cString: PQerrorMessage($0)) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "closed"
        return PostgresError(code: .connectionClosed, message: "the connection to PostgreSQL was lost: \(message)", query: sql)
    }
}

/// Bridges Swift parameters to libpq's `const char * const *` (NULL for SQL NULL).
enum PostgresBinds {
    static func withCStrings<R>(
        _ binds: [(any PostgresEncodable)?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R
    ) -> R {
        if binds.isEmpty { return body(nil, 0) }
        let owned: [UnsafeMutablePointer<CChar>?] = binds.map { $0.flatMap { strdup($0.postgresText) } }
        defer { owned.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = owned.map { $0.map { UnsafePointer($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress, Int32($0.count)) }
    }
}
