public import Foundation
public import ReelPostgres

/// A freshly migrated schema of its own for each test, in the database the
/// scripts started (`REEL_TEST_DATABASE_URL`, else `REEL_DATABASE_URL`).
///
/// Tests run in parallel without seeing each other's jobs: every URL this
/// hands out sets `search_path` to the test's schema, and Reel's NOTIFY
/// channels are named after the schema.
public struct TestDatabase: Sendable {
    public let schema: String
    /// A libpq URL whose connections use the test's schema.
    public let url: String
    public let pool: PostgresPool

    public static var baseURL: String {
        let env = ProcessInfo.processInfo.environment
        return env["REEL_TEST_DATABASE_URL"] ?? env["REEL_DATABASE_URL"] ?? "postgresql://reel@127.0.0.1:5432/reel"
    }

    /// Creates and migrates a schema, runs `body`, drops the schema.
    public static func withFresh<T: Sendable>(
        poolSize: Int = 6, _ body: (TestDatabase) async throws -> T
    ) async throws -> T {
        let schema = "reel_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let admin = try await PostgresConnection.connect(baseURL)
        try await admin.execute("CREATE SCHEMA \(schema)")
        let url = withSearchPath(baseURL, schema)
        let migrator = try PostgresMigrator(directory: PackagePaths.root.appendingPathComponent("migrations"))
        let conn = try await PostgresConnection.connect(url)
        try await migrator.migrate(conn)
        await conn.close()
        let db = TestDatabase(schema: schema, url: url, pool: PostgresPool(url: url, maxConnections: poolSize))
        do {
            let value = try await body(db)
            await db.pool.close()
            try? await admin.execute("DROP SCHEMA \(schema) CASCADE")
            await admin.close()
            return value
        } catch {
            await db.pool.close()
            try? await admin.execute("DROP SCHEMA \(schema) CASCADE")
            await admin.close()
            throw error
        }
    }

    /// Adds `options=-csearch_path=SCHEMA` to a libpq URL.
    public static func withSearchPath(_ url: String, _ schema: String) -> String {
        let option = "options=-csearch_path%3D\(schema)"
        return url + (url.contains("?") ? "&" : "?") + option
    }

    /// One value from the first row of a query.
    public func scalar<T: PostgresDecodable>(_ type: T.Type = T.self, _ sql: String, _ binds: [(any PostgresEncodable)?] = []) async throws -> T? {
        try await pool.query(sql, binds).first?.decode(T?.self, 0)
    }
}

/// Where the package's files are, from this source file's location.
public enum PackagePaths {
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The built `reel` binary: $REEL_BINARY, else .build/debug/reel.
    public static var reelBinary: URL {
        if let path = ProcessInfo.processInfo.environment["REEL_BINARY"] { return URL(fileURLWithPath: path) }
        return root.appendingPathComponent(".build/debug/reel")
    }
}

/// Polls `condition` until it holds; throws after `timeout` seconds. Not a
/// timing assertion: the timeout only bounds a test that would otherwise hang.
public func eventually(
    timeout: Double = 60, every interval: Double = 0.05, _ what: String = "condition",
    _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .seconds(interval))
    }
    throw TimedOut(what: what, seconds: timeout)
}

public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "\(what) did not happen within \(seconds) s" }
}

extension TestDatabase {
    /// The TCP port of the test database, read from its URL.
    public var port: UInt16? {
        guard let components = URLComponents(string: url) else { return nil }
        return components.port.map(UInt16.init)
    }

    /// The same database and schema through another port on 127.0.0.1 (a ``TCPProxy``).
    public func url(throughPort port: UInt16) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.host = "127.0.0.1"
        components.port = Int(port)
        return components.string ?? url
    }
}
