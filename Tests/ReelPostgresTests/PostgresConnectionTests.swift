import Foundation
import Testing
import ReelPostgres
import ReelTesting

@Suite struct PostgresConnectionTests {
    @Test func parametersAndTypedDecoding() async throws {
        let conn = try await PostgresConnection.connect(TestDatabase.baseURL)
        let row = try #require(try await conn.query(
            "SELECT $1::bigint + 1 AS n, $2::text AS s, $3::boolean AS b, NULL::int AS missing, ARRAY[1,2,3]::bigint[] AS a, $4::timestamptz AS t, $5::text[] AS strings",
            [Int64(41), "it's \"quoted\"", true, Date(timeIntervalSince1970: 1_764_000_000.25), ["a,b", "c\"d", "e\\f"]]).first)
        #expect(try row.decode(Int64.self, "n") == 42)
        #expect(try row.decode(String.self, "s") == "it's \"quoted\"")
        #expect(try row.decode(Bool.self, "b"))
        #expect(try row.decode(Int?.self, "missing") == nil)
        #expect(try row.decode([Int64].self, "a") == [1, 2, 3])
        #expect(try row.decode(Date.self, "t").timeIntervalSince1970 == 1_764_000_000.25)
        #expect(try row.decode([String].self, "strings") == ["a,b", "c\"d", "e\\f"])
        #expect(throws: PostgresError.self) { try row.decode(Int.self, "missing") }
        #expect(throws: PostgresError.self) { try row.decode(Int.self, "s") }
        await conn.close()
    }

    @Test func serverErrorsCarrySQLStateAndAreSafeToShow() async throws {
        let conn = try await PostgresConnection.connect(TestDatabase.baseURL)
        do {
            try await conn.query("SELECT * FROM no_such_table_here WHERE secret = $1", ["x"])
            Issue.record("expected an error")
        } catch {
            #expect(error.sqlState == "42P01")
            #expect(error.code == .server)
            #expect(error.description.contains("no_such_table_here"))
            #expect(!error.description.contains("WHERE secret"))
            #expect(error.debugDescription.contains("WHERE secret"))
        }
        // The connection stays usable after a failed statement.
        #expect(try await conn.query("SELECT 1").first?.decode(Int.self, 0) == 1)
        await conn.close()
    }

    @Test func connectionFailureSaysWhatToCheck() async throws {
        do {
            _ = try await PostgresConnection.connect("postgresql://reel@127.0.0.1:1/reel?connect_timeout=2")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.isConnectionProblem)
            #expect(error.description.contains("REEL_DATABASE_URL"))
        }
    }

    @Test func transactionsCommitAndRollBack() async throws {
        try await TestDatabase.withFresh { db in
            try await db.pool.query("CREATE TABLE t (v int)")
            try await db.pool.withTransaction { conn in try conn.query("INSERT INTO t VALUES (1)") }
            await #expect(throws: PostgresError.self) {
                try await db.pool.withTransaction { conn in
                    try conn.query("INSERT INTO t VALUES (2)")
                    try conn.query("INSERT INTO t VALUES ('not a number')")
                }
            }
            #expect(try await db.scalar(Int.self, "SELECT sum(v)::int FROM t") == 1)
        }
    }

    @Test func blockingCallsRunOnTheConnectionsOwnThread() async throws {
        let conn = try await PostgresConnection.connect(TestDatabase.baseURL, name: "reel-pg-check")
        let name = await conn.currentThreadName()
        #expect(name == "reel-pg-check")
        await conn.close()
    }

    @Test func poolServesMoreTasksThanConnections() async throws {
        let pool = PostgresPool(url: TestDatabase.baseURL, maxConnections: 3)
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    try await pool.withConnection { conn in
                        _ = try await conn.query("SELECT pg_sleep(0.01)")
                        return await conn.backendPID
                    }
                }
            }
            var pids = Set<Int32>()
            for try await pid in group { pids.insert(pid) }
            return pids
        }
        #expect(pids.count <= 3)
        #expect(pids.count >= 1)
        await pool.close()
    }

    @Test func copyLoadsRowsWithAwkwardText() async throws {
        try await TestDatabase.withFresh { db in
            try await db.pool.query("CREATE TABLE c (a int, b text, j jsonb)")
            let rows: [[(any PostgresEncodable)?]] = (0..<5000).map { i in
                [i, i % 7 == 0 ? nil : "tab\there\nnewline\\backslash \(i)", PostgresJSON(#"{"i": \#(i)}"#)]
            }
            let copied = try await db.pool.withConnection { conn in
                try await conn.copyFrom("COPY c (a, b, j) FROM STDIN", rows: rows)
            }
            #expect(copied == 5000)
            #expect(try await db.scalar(Int.self, "SELECT count(*) FROM c WHERE b IS NULL") == 715)
            #expect(try await db.scalar(String.self, "SELECT b FROM c WHERE a = 1") == "tab\there\nnewline\\backslash 1")
            #expect(try await db.scalar(Int.self, "SELECT (j->>'i')::int FROM c WHERE a = 4999") == 4999)
        }
    }

    @Test func pipelineReturnsEveryResultAndIsolatesFailures() async throws {
        try await TestDatabase.withFresh { db in
            try await db.pool.query("CREATE TABLE p (v int UNIQUE)")
            let results = try await db.pool.withConnection { conn in
                try await conn.pipeline([
                    PostgresStatement("INSERT INTO p VALUES ($1)", [1]),
                    PostgresStatement("INSERT INTO p VALUES ($1)", [2]),
                    PostgresStatement("SELECT count(*) FROM p"),
                ])
            }
            #expect(results.count == 3)
            #expect(try results[2].first?.decode(Int.self, 0) == 2)
            do {
                _ = try await db.pool.withConnection { conn in
                    try await conn.pipeline([
                        PostgresStatement("INSERT INTO p VALUES ($1)", [1]),
                        PostgresStatement("INSERT INTO p VALUES ($1)", [3]),
                    ])
                }
                Issue.record("expected a unique violation")
            } catch let error as PostgresError {
                #expect(error.isUniqueViolation)
            }
            // The second statement ran in its own transaction.
            #expect(try await db.scalar(Int.self, "SELECT count(*) FROM p") == 3)
        }
    }

    @Test func listenDeliversNotificationsAsAnAsyncSequence() async throws {
        let listener = try await PostgresListener(url: TestDatabase.baseURL, channels: ["reel.test.listen"])
        let conn = try await PostgresConnection.connect(TestDatabase.baseURL)
        for i in 0..<3 { try await conn.query("SELECT pg_notify('reel.test.listen', $1)", ["n\(i)"]) }
        var payloads: [String] = []
        for await event in listener {
            if case .notification(let n) = event { payloads.append(n.payload) }
            if payloads.count == 3 { break }
        }
        #expect(payloads == ["n0", "n1", "n2"])
        listener.stop()
        await conn.close()
    }
}

extension PostgresConnection {
    /// The OS name of the thread running this actor method.
    func currentThreadName() -> String? {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

