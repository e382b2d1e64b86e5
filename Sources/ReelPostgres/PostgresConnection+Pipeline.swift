import CLibPQ

/// One statement of a pipeline.
public struct PostgresStatement: Sendable {
    public let sql: String
    public let binds: [(any PostgresEncodable)?]
    public init(_ sql: String, _ binds: [(any PostgresEncodable)?] = []) {
        self.sql = sql
        self.binds = binds
    }
}

extension PostgresConnection {
    /// Sends several statements in one round trip (libpq pipeline mode) and
    /// returns their results in order.
    ///
    /// Pays when statements do not depend on each other's results and latency
    /// dominates, e.g. a worker flushing completions, failures and snoozes
    /// together. Each statement runs in its own implicit transaction, so one that
    /// fails does not undo the others; the first failure is thrown after all ran.
    public func pipeline(_ statements: [PostgresStatement]) throws(PostgresError) -> [PostgresResult] {
        let conn = try live()
        if statements.isEmpty { return [] }
        if statements.count == 1 { return [try query(statements[0].sql, statements[0].binds)] }
        guard PQenterPipelineMode(conn) == 1 else { throw connectionError(sql: "pipeline") }
        defer {
            PQexitPipelineMode(conn)
            refreshStatus()
        }
        for statement in statements {
            let sent = PostgresBinds.withCStrings(statement.binds) { values, count in
                PQsendQueryParams(conn, statement.sql, count, nil, values, nil, nil, 0)
            }
            guard sent == 1 else { throw connectionError(sql: statement.sql) }
            // A sync per statement: each runs in its own implicit transaction,
            // so one failure does not roll back the others' work.
            guard PQpipelineSync(conn) == 1 else { throw connectionError(sql: statement.sql) }
        }
        var results: [PostgresResult] = []
        var firstError: PostgresError?
        for statement in statements {
            // Each statement yields its result, a NULL, then its sync marker.
            var mine: PostgresResult?
            while let result = PQgetResult(conn) {
                let status = PQresultStatus(result)
                if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK {
                    mine = PostgresResult(handle: result, query: statement.sql)
                } else {
                    if firstError == nil { firstError = serverError(result, sql: statement.sql) }
                    PQclear(result)
                }
            }
            guard let sync = PQgetResult(conn) else { throw connectionError(sql: statement.sql) }
            let syncStatus = PQresultStatus(sync)
            PQclear(sync)
            guard syncStatus == PGRES_PIPELINE_SYNC else {
                throw PostgresError(code: .protocolViolation, message: "pipeline lost its sync marker", query: statement.sql)
            }
            if let mine { results.append(mine) }
        }
        if let firstError { throw firstError }
        guard results.count == statements.count else {
            throw PostgresError(code: .protocolViolation, message: "pipeline returned \(results.count) results for \(statements.count) statements")
        }
        return results
    }
}
