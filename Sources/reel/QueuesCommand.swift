import ArgumentParser
import Foundation
import ReelPostgres
import ReelQueue

struct Queues: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per queue: jobs per state, completed in the last minute, age of the oldest available job.",
        subcommands: [Overview.self, Set.self], defaultSubcommand: Overview.self)

    struct Overview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Show every queue.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let queues = try await database.withPool(size: 1) { pool in try await JobQueue(pool: pool).summaries() }
            try ReportPrinter.print(queues, columns: [
                "queue", "pending", "available", "scheduled", "running", "retryable", "completed", "discarded", "cancelled",
                "completed_last_minute", "oldest_available_s", "global_limit", "rate_per_second", "paused",
            ], json: output.json)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a queue's limits that hold across all workers, or pause it.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String
        @Option(help: "Most running jobs of this queue across all workers.")
        var globalLimit: Int?
        @Option(help: "Most jobs started per second across all workers.")
        var rate: Double?
        @Option(help: "Jobs that may start at once after an idle spell (token bucket size).")
        var burst: Double?
        @Flag(help: "Stop handing out this queue's jobs until set again without --paused.")
        var paused = false

        func run() async throws {
            try await database.withPool(size: 1) { pool in
                try await JobQueue(pool: pool).configure(
                    queue: name, globalLimit: globalLimit, ratePerSecond: rate, burst: burst, paused: paused)
            }
            print("queue \(name): global limit \(globalLimit.map(String.init) ?? "none"), rate \(rate.map { "\($0)/s" } ?? "none")\(paused ? ", paused" : "")")
        }
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a named reporting view (reel_report_NAME); without a name, list them.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Argument var name: String?

    func run() async throws {
        try await database.withPool(size: 1) { pool in
            let views = try await pool.query(
                """
                SELECT substr(c.relname, 13) AS name, coalesce(obj_description(c.oid, 'pg_class'), '') AS description
                FROM pg_class c WHERE c.relkind = 'v' AND c.relname LIKE 'reel\\_report\\_%'
                AND c.relnamespace = current_schema()::regnamespace ORDER BY 1
                """)
            guard let name else { return try ReportPrinter.print(views, json: output.json) }
            let names = try views.map { try $0.decode(String.self, 0) }
            guard names.contains(name) else {
                throw CLIError("no report '\(name)'; reports: \(names.joined(separator: ", "))")
            }
            try ReportPrinter.print(try await pool.query("SELECT * FROM reel_report_\(name)"), json: output.json)
        }
    }
}

/// Prints any result as a table or as JSON objects keyed by column.
enum ReportPrinter {
    /// Typed report rows as a table with `columns` (their JSON keys), or as
    /// JSON (every column, null when absent).
    static func print<Row: Encodable>(_ rows: [Row], columns: [String], json: Bool) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let cells: [[String: String]] = try rows.map { row in
            let object = try JSONSerialization.jsonObject(with: try encoder.encode(row)) as? [String: Any] ?? [:]
            return object.compactMapValues { value in
                switch value {
                // JSONSerialization gives booleans as NSNumbers of this class (1 and true are otherwise alike).
                case let number as NSNumber where String(describing: type(of: number)) == "__NSCFBoolean": number.boolValue ? "t" : "f"
                case let number as NSNumber: number.stringValue
                case let text as String: text
                default: nil
                }
            }
        }
        if json {
            try CLI.printJSON(cells.map { row in Dictionary(uniqueKeysWithValues: columns.map { ($0, JSONCell(text: row[$0])) }) })
        } else {
            CLI.printTable(columns.map { $0.uppercased() }, cells.map { row in
                columns.map { row[$0].map { $0 == "t" ? "true" : $0 == "f" ? "false" : $0 } ?? "-" }
            })
        }
    }

    static func print(_ result: PostgresResult, json: Bool) throws {
        let columns = result.columns
        if json {
            let rows = result.map { row in
                Dictionary(uniqueKeysWithValues: columns.enumerated().map { i, c in (c, JSONCell(text: row[i])) })
            }
            try CLI.printJSON(rows)
        } else {
            CLI.printTable(columns.map { $0.uppercased() }, result.map { row in (0..<columns.count).map { i in row[i].map { $0 == "t" ? "true" : $0 == "f" ? "false" : $0 } ?? "-" } })
        }
    }

    /// A cell as JSON: numbers stay numbers, booleans booleans, NULL null.
    struct JSONCell: Encodable {
        let text: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            guard let text else { return try c.encodeNil() }
            if let i = Int64(text) { try c.encode(i) } else if let d = Double(text), d.isFinite { try c.encode(d) }
            else if text == "t" || text == "f" { try c.encode(text == "t") } else { try c.encode(text) }
        }
    }
}
