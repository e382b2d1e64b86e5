import Foundation
import ReelPostgres
import ReelTesting
import Testing

/// The pool after the server ends its sessions (what a restart does to every
/// idle connection): the next queries succeed on new connections, none fails.
@Suite struct PoolRecoveryTests {
    @Test func idleConnectionsTheServerClosedAreReplacedBeforeUse() async throws {
        let pool = PostgresPool(url: TestDatabase.baseURL, maxConnections: 3)
        // Open all three: three queries at once, each holding its connection a moment.
        let pids = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 {
                group.addTask { try await pool.query("SELECT pg_backend_pid(), pg_sleep(0.2)").first?.int(0) ?? 0 }
            }
            return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
        #expect(pids.count == 3)

        let admin = try await PostgresConnection.connect(TestDatabase.baseURL)
        for pid in pids { _ = try await admin.query("SELECT pg_terminate_backend($1)", [pid]) }
        try await Task.sleep(for: .milliseconds(300))

        for _ in 0..<6 {
            let pid = try await pool.query("SELECT pg_backend_pid()").first?.int(0) ?? 0
            #expect(!pids.contains(pid), "a query ran on a session the server had ended")
        }
        await admin.close()
        await pool.close()
    }
}
