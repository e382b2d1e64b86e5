public import Foundation

/// Applies numbered SQL files (`0001_jobs.sql`, `0002_reports.sql`, …) in order.
///
/// Each file runs in its own transaction and is recorded in `reel_migrations`
/// with the same commit, so a failed file leaves nothing half-applied. A
/// session advisory lock serialises migrators: a second process waits, then
/// finds nothing left to do. Migrations apply to the connection's current
/// schema (set `search_path` in the URL to keep installations apart).
public struct PostgresMigrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Hashable {
        public let version: Int
        public let name: String
        public let sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    /// What `status` reports for each known migration.
    public struct Status: Sendable, Hashable {
        public let version: Int
        public let name: String
        public let appliedAt: Date?
    }

    public let migrations: [Migration]

    /// Reads `*.sql` files named `NNNN_name.sql` from `directory`.
    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var found: [Migration] = []
        for file in files where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError("migration file '\(file)' in \(directory.path) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            found.append(Migration(version: version, name: String(stem), sql: sql))
        }
        found.sort { $0.version < $1.version }
        for (a, b) in zip(found, found.dropFirst()) where a.version == b.version {
            throw MigrationError("two migrations share version \(a.version): \(a.name) and \(b.name)")
        }
        migrations = found
    }

    public init(migrations: [Migration]) { self.migrations = migrations.sorted { $0.version < $1.version } }

    /// Applies every migration not applied yet; returns the ones it applied.
    @discardableResult
    public func migrate(_ connection: PostgresConnection) async throws -> [Migration] {
        try await connection.withMigrationLock { conn in
            try Self.ensureTable(conn)
            let applied = try Self.applied(conn)
            var done: [Migration] = []
            for migration in migrations {
                if let name = applied[migration.version] {
                    guard name == migration.name else {
                        throw MigrationError(
                            "migration \(migration.version) was applied as '\(name)' but the file is now '\(migration.name)'; do not rename applied migrations")
                    }
                    continue
                }
                do {
                    try conn.withTransaction { conn in
                        try conn.execute(migration.sql)
                        try conn.query("INSERT INTO reel_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name])
                    }
                } catch let error as PostgresError {
                    throw MigrationError("migration \(migration.name) failed and was rolled back: \(error.description)")
                }
                done.append(migration)
            }
            return done
        }
    }

    /// Every known migration with the time it was applied (nil: not yet).
    public func status(_ connection: PostgresConnection) async throws -> [Status] {
        try await connection.withMigrationLock { conn in
            try Self.ensureTable(conn)
            let rows = try conn.query("SELECT version, applied_at FROM reel_migrations")
            var appliedAt: [Int: Date] = [:]
            for row in rows { appliedAt[try row.decode(Int.self, 0)] = try row.decode(Date.self, 1) }
            return migrations.map { Status(version: $0.version, name: $0.name, appliedAt: appliedAt[$0.version]) }
        }
    }

    static func ensureTable(_ conn: isolated PostgresConnection) throws {
        try conn.execute("""
            CREATE TABLE IF NOT EXISTS reel_migrations (
                version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """)
    }

    static func applied(_ conn: isolated PostgresConnection) throws -> [Int: String] {
        var out: [Int: String] = [:]
        for row in try conn.query("SELECT version, name FROM reel_migrations") {
            out[try row.decode(Int.self, 0)] = try row.decode(String.self, 1)
        }
        return out
    }
}

/// A migration problem, with what to do about it.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension PostgresConnection {
    /// Holds the schema's migration lock around `body`.
    func withMigrationLock<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) throws -> T {
        try execute("SELECT pg_advisory_lock(hashtext('reel_migrate:' || current_schema()))")
        defer { _ = try? execute("SELECT pg_advisory_unlock(hashtext('reel_migrate:' || current_schema()))") }
        return try body(self)
    }
}
