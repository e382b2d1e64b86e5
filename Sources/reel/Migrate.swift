import ArgumentParser
import Foundation
import ReelPostgres

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the numbered SQL migrations that are not applied yet (safe to run twice or concurrently).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Show which migrations are applied instead of applying them.")
    var status = false
    @Option(help: "Folder of NNNN_name.sql files (default: found automatically).")
    var migrations: String?

    struct Row: Encodable { let version: Int; let name: String; let appliedAt: Date? }

    func run() async throws {
        let migrator = try PostgresMigrator(directory: try MigrationsLocator.find(migrations))
        let connection = try await PostgresConnection.connect(database.url)
        defer { Task { await connection.close() } }
        if !status {
            // Migrators take turns under a session advisory lock, which a transaction pooler cannot hold.
            let check = try await connection.serverCheck()
            if database.pooling == .transaction || check.behindPooler {
                throw CLIError("reel migrate holds a session lock: run it against PostgreSQL itself, not through a pooler "
                               + "(\(check.server) is one); give it the primary's direct URL with --database-url")
            }
            if check.inRecovery {
                throw CLIError("\(check.server) is a standby in recovery: run reel migrate against the primary")
            }
        }
        if status {
            let rows = try await migrator.status(connection).map { Row(version: $0.version, name: $0.name, appliedAt: $0.appliedAt) }
            if output.json { return try CLI.printJSON(rows) }
            CLI.printTable(["VERSION", "NAME", "APPLIED"], rows.map { ["\($0.version)", $0.name, $0.appliedAt.map { CLI.format($0) } ?? "pending"] })
        } else {
            let applied = try await migrator.migrate(connection)
            if output.json { return try CLI.printJSON(applied.map { Row(version: $0.version, name: $0.name, appliedAt: Date()) }) }
            if applied.isEmpty {
                print("database is up to date (\(migrator.migrations.count) migrations)")
            } else {
                for m in applied { print("applied \(m.name)") }
            }
        }
    }
}
