import Foundation
import Testing
import ReelPostgres
import ReelTesting

@Suite struct MigratorTests {
    func freshSchema() async throws -> (admin: PostgresConnection, schema: String, url: String) {
        let admin = try await PostgresConnection.connect(TestDatabase.baseURL)
        let schema = "reel_mig_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try await admin.execute("CREATE SCHEMA \(schema)")
        return (admin, schema, TestDatabase.withSearchPath(TestDatabase.baseURL, schema))
    }

    @Test func concurrentMigratorsApplyEachFileOnce() async throws {
        let (admin, schema, url) = try await freshSchema()
        let migrator = try PostgresMigrator(directory: PackagePaths.root.appendingPathComponent("migrations"))
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let conn = try await PostgresConnection.connect(url)
                    let done = try await migrator.migrate(conn)
                    await conn.close()
                    return done.count
                }
            }
            var counts: [Int] = []
            for try await n in group { counts.append(n) }
            return counts
        }
        #expect(applied.sorted() == [0, 0, migrator.migrations.count])
        let conn = try await PostgresConnection.connect(url)
        let status = try await migrator.status(conn)
        #expect(status.allSatisfy { $0.appliedAt != nil })
        #expect(try await migrator.migrate(conn).isEmpty)
        await conn.close()
        try await admin.execute("DROP SCHEMA \(schema) CASCADE")
        await admin.close()
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let (admin, schema, url) = try await freshSchema()
        let migrator = PostgresMigrator(migrations: [
            .init(version: 1, name: "0001_ok", sql: "CREATE TABLE ok (v int)"),
            .init(version: 2, name: "0002_broken", sql: "CREATE TABLE half (v int); SELECT no_such_function()"),
        ])
        let conn = try await PostgresConnection.connect(url)
        do {
            try await migrator.migrate(conn)
            Issue.record("expected the broken migration to fail")
        } catch let error as MigrationError {
            #expect(error.description.contains("0002_broken"))
            #expect(error.description.contains("rolled back"))
        }
        let status = try await migrator.status(conn)
        #expect(status.map { $0.appliedAt != nil } == [true, false])
        #expect(try await conn.query("SELECT to_regclass('half') IS NULL").first?.decode(Bool.self, 0) == true)
        await conn.close()
        try await admin.execute("DROP SCHEMA \(schema) CASCADE")
        await admin.close()
    }
}
