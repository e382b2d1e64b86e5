import ArgumentParser
import Foundation
import ReelMedia
import ReelManifests
import ReelPostgres
import ReelScheduler

struct Periodic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage periodic jobs, which the leading scheduler enqueues from cron expressions.",
        subcommands: [List.self, Set.self, Remove.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            let all = try await database.withPool(size: 1) { try await PeriodicJobs(pool: $0).list() }
            if output.json { return try CLI.printJSON(all) }
            CLI.printTable(["NAME", "CRON", "KIND", "QUEUE", "ARGS", "ENABLED", "NEXT RUN"], all.map {
                [$0.name, $0.cron, $0.kind, $0.queue, $0.args, "\($0.enabled)", CLI.format($0.nextRunAt)]
            })
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace a periodic job.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String
        @Option(help: "Cron expression: 5 fields, or 6 with seconds first (UTC), e.g. '*/10 * * * * *'.")
        var cron: String
        @Option var kind: String
        @Option var queue = "default"
        @Option var args = "{}"
        @Flag var disabled = false
        func run() async throws {
            do { _ = try CronSchedule(cron) } catch { throw CLIError(error.description) }
            try await database.withPool(size: 1) { pool in
                try await PeriodicJobs(pool: pool).upsert(.init(
                    name: name, cron: cron, kind: kind, queue: queue, args: args, enabled: !disabled))
            }
            print("periodic job \(name): \(cron) → \(kind) on \(queue)")
        }
    }

    struct Remove: AsyncParsableCommand {
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String
        func run() async throws {
            let removed = try await database.withPool(size: 1) { try await PeriodicJobs(pool: $0).remove(name) }
            guard removed else { throw CLIError("no periodic job named '\(name)'") }
            print("removed periodic job \(name)")
        }
    }
}

struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Reel's version and the C libraries it links.")
    func run() async throws {
        print("reel 0.1.0")
        print("libpq \(PostgresLibrary.version)")
        print(FFmpegLibraries.versions)
    }
}
