import ArgumentParser
import Foundation
import Logging
import ReelObservability
import ReelPostgres
import ServiceLifecycle

/// Where the database is; every command that talks to it takes these.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq URL or conninfo (default: $REEL_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .customLong("database-pooler"),
            help: "What stands between Reel and PostgreSQL: none, session or transaction (PgBouncer's pool_mode = transaction: no server-side prepared statements or session settings; default: $REEL_DATABASE_POOLER, else none).")
    var databasePooler: String?

    var url: String {
        databaseURL ?? ProcessInfo.processInfo.environment["REEL_DATABASE_URL"]
            ?? "postgresql://reel@127.0.0.1:5432/reel"
    }

    /// The declared pooler; `validate()` has refused a value that is not one.
    var pooling: PostgresPooling {
        (try? PostgresPooling(setting: databasePooler ?? ProcessInfo.processInfo.environment["REEL_DATABASE_POOLER"])) ?? .none
    }

    func validate() throws {
        do {
            _ = try PostgresPooling(setting: databasePooler ?? ProcessInfo.processInfo.environment["REEL_DATABASE_POOLER"])
        } catch {
            throw ValidationError(error.description)
        }
    }

    func pool(size: Int = 4) -> PostgresPool { PostgresPool(url: url, maxConnections: size, pooling: pooling) }

    /// Stops a long-running process at start when its URL cannot work: a
    /// transaction pooler nobody declared, or a standby for a process that
    /// writes. A database that is down now is not an error here: the process
    /// waits for it as it always has.
    func checkServer(writes: Bool, logger: Logger) async throws {
        try await Self.checkServer(url: url, pooling: pooling, writes: writes,
                                   variable: databaseURL == nil ? "REEL_DATABASE_URL" : "--database-url", logger: logger)
    }

    /// The same check for another URL (an API's standby for reads); `variable` names it in the message.
    static func checkServer(url: String, pooling: PostgresPooling, writes: Bool, variable: String, logger: Logger) async throws {
        let check: PostgresServerCheck
        do {
            check = try await PostgresServerCheck.run(url: url, pooling: pooling)
        } catch {
            guard error.isConnectionProblem else { throw CLIError(error.description) }
            logger.warning("cannot check the database yet: \(error.description)")
            return
        }
        if let problem = check.problem(pooling: pooling, writes: writes, variable: variable) {
            throw CLIError(problem.description)
        }
        if check.behindPooler {
            logger.notice("PostgreSQL is reached through a pooler at \(check.server) (REEL_DATABASE_POOLER=\(pooling.rawValue))")
        }
    }

    /// Runs `body` with a pool that is closed afterwards.
    func withPool<T: Sendable>(size: Int = 4, _ body: (PostgresPool) async throws -> T) async throws -> T {
        let pool = pool(size: size)
        do {
            let value = try await body(pool)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// `--json` for every listing.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false
}

enum CLI {
    /// Logs to stderr at $REEL_LOG_LEVEL (default info), as text lines for a
    /// terminal or, with REEL_LOG_FORMAT=json, one JSON object a line for a
    /// log shipper; once per process.
    static let bootstrapLogging: Void = {
        let environment = ProcessInfo.processInfo.environment
        let level = environment["REEL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let format = (environment["REEL_LOG_FORMAT"] ?? "text").lowercased()
        if format != "text" && format != "json" {
            FileHandle.standardError.write(Data("REEL_LOG_FORMAT is '\(format)': use text or json; logging as text\n".utf8))
        }
        LoggingSystem.bootstrap({ label, provider in
            if format == "json" { return JSONLogHandler(label: label, level: level, metadataProvider: provider) }
            var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
            handler.logLevel = level
            return handler
        }, metadataProvider: ReelTracing.logMetadata)
    }()

    /// The trace exporter as the first service of a process's group (it stops
    /// last, flushing what the others recorded), or none when tracing is off.
    static func tracing(_ service: String, logger: Logger) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        do {
            return try ReelTracing.bootstrap(service: service, logger: logger).map { [.init(service: $0)] } ?? []
        } catch {
            throw CLIError("cannot export traces: \(error) (check OTEL_EXPORTER_OTLP_ENDPOINT)")
        }
    }

    static func logger(_ label: String) -> Logger {
        _ = bootstrapLogging
        // Before any metric is made (one made earlier would record nowhere).
        ReelMetrics.bootstrap()
        return Logger(label: label)
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints rows as an aligned text table.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    static func format(_ date: Date?) -> String {
        guard let date else { return "-" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    static func parseDate(_ text: String) throws -> Date {
        if let seconds = Double(text.hasPrefix("+") ? String(text.dropFirst()) : text), text.hasPrefix("+") {
            return Date().addingTimeInterval(seconds)
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        throw ValidationError("'\(text)' is not a time: use ISO 8601 (2026-11-25T13:00:00Z) or +SECONDS from now")
    }
}

/// Locates the migrations folder: --migrations, $REEL_MIGRATIONS_DIR,
/// ./migrations, or next to the binary (…/.build/debug/reel → …/migrations).
enum MigrationsLocator {
    static func find(_ explicit: String?) throws -> URL {
        let fm = FileManager.default
        if let path = explicit ?? ProcessInfo.processInfo.environment["REEL_MIGRATIONS_DIR"] {
            guard fm.fileExists(atPath: path) else { throw CLIError("migrations folder '\(path)' does not exist") }
            return URL(fileURLWithPath: path)
        }
        var candidates = [URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("migrations")]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("migrations"))
            candidates.append(dir.appendingPathComponent("share/reel/migrations"))
            dir = dir.deletingLastPathComponent()
        }
        for candidate in candidates where fm.fileExists(atPath: candidate.appendingPathComponent("0001_jobs.sql").path) {
            return candidate
        }
        throw CLIError(
            "cannot find the migrations folder (looked in ./migrations and next to the binary); pass --migrations DIR or set REEL_MIGRATIONS_DIR")
    }
}

/// A problem with what the user asked for; printed as `Error: …` without the usage text.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A number from the environment, checked: nil when unset or empty, an error
/// naming the variable when it is not a number of at least `minimum`.
enum EnvironmentNumber {
    static func read<T: LosslessStringConvertible & Comparable>(
        _ name: String, atLeast minimum: T, _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> T? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        guard let value = T(text), value >= minimum else { throw CLIError("\(name)=\(text): expected a number of at least \(minimum)") }
        return value
    }
}
