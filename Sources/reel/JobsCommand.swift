import ArgumentParser
import Foundation
import ReelPostgres
import ReelQueue
import ReelThreads

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, inspect, retry and cancel jobs.",
        subcommands: [List.self, Show.self, Wait.self, Retry.self, Cancel.self], defaultSubcommand: List.self)

    /// Filters shared by list, bulk retry and bulk cancel.
    struct FilterOptions: ParsableArguments {
        @Option(help: "Only jobs in this state (repeatable): \(JobState.allCases.map(\.rawValue).joined(separator: ", ")).")
        var state: [String] = []
        @Option var queue: String?
        @Option(help: "Only jobs of this kind (repeatable); a family ends in .*, e.g. video.*")
        var kind: [String] = []
        @Option var tenant: String?

        var isEmpty: Bool { state.isEmpty && queue == nil && kind.isEmpty && tenant == nil }

        func filter() throws -> JobFilter {
            let states = try state.map { text in
                guard let s = JobState(rawValue: text) else {
                    throw CLIError("unknown state '\(text)'; states are \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return s
            }
            return JobFilter(states: states, queue: queue, kinds: kind, tenant: tenant)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var filter: FilterOptions
        @Option var limit = 50
        @Flag(help: "Refresh every second until interrupted.")
        var watch = false

        func run() async throws {
            let filter = try self.filter.filter()
            try await database.withPool(size: 1) { pool in
                let queue = JobQueue(pool: pool)
                repeat {
                    let jobs = try await queue.jobs(filter, limit: limit)
                    if output.json {
                        try CLI.printJSON(jobs)
                    } else {
                        if watch {
                            print("\u{1B}[2J\u{1B}[H", terminator: "")
                            var counts: [JobState: Int] = [:]
                            for summary in try await queue.summaries() { counts.merge(summary.byState, uniquingKeysWith: +) }
                            print("reel jobs --watch   \(CLI.format(Date()))   "
                                + counts.filter { $0.value > 0 }.sorted { $0.key.rawValue < $1.key.rawValue }
                                    .map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " "))
                            print()
                        }
                        CLI.printTable(
                            ["ID", "KIND", "QUEUE", "STATE", "ATTEMPT", "RUN AT", "LAST ERROR"],
                            jobs.map { j in
                                ["\(j.id)", j.kind, j.queue, j.state.rawValue, "\(j.attempt)/\(j.maxAttempts)",
                                 CLI.format(j.runAt), String((j.errors.last?.message ?? j.cancelReason ?? "").prefix(60))]
                            })
                    }
                    if watch {
                        // Each frame reaches a pipe or file at once, not when a buffer fills.
                        fflush(nil)
                        try await Task.sleep(for: .seconds(1))
                    }
                } while watch
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job with its error history.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument var id: Int64

        func run() async throws {
            guard let job = try await database.withPool(size: 1, { pool in try await JobQueue(pool: pool).job(id) }) else {
                throw CLIError("no job with id \(id)")
            }
            if output.json { return try CLI.printJSON(job) }
            let fields: [(String, String)] = [
                ("id", "\(job.id)"), ("kind", job.kind), ("queue", job.queue), ("tenant", job.tenant.isEmpty ? "-" : job.tenant),
                ("state", job.state.rawValue), ("attempt", "\(job.attempt) of \(job.maxAttempts)"),
                ("priority", "\(job.priority)"), ("args", job.args), ("run at", CLI.format(job.runAt)),
                ("created", CLI.format(job.createdAt)), ("attempted", CLI.format(job.attemptedAt)),
                ("attempted by", job.attemptedBy ?? "-"), ("lease until", CLI.format(job.leaseExpiresAt)),
                ("finalized", CLI.format(job.finalizedAt)), ("unique key", job.uniqueKey ?? "-"),
                ("parents", job.parentIDs.isEmpty ? "-" : job.parentIDs.map(String.init).joined(separator: ", ")),
                ("cancel reason", job.cancelReason ?? "-"),
            ]
            for (k, v) in fields { print("\(k.padding(toLength: 14, withPad: " ", startingAt: 0))\(v)") }
            print("errors (\(job.errors.count)):")
            for e in job.errors {
                print("  attempt \(e.attempt) at \(e.at) on \(e.worker ?? "?")\(e.permanent == true ? " [permanent]" : ""): \(e.message)")
            }
        }
    }

    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until no unfinished job matches the filters (a drained queue, a finished pipeline).",
            discussion: "Exits 0 once every matching job is completed, discarded or cancelled; 1 when --timeout passes first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var filter: FilterOptions
        @Option(help: "Give up after this many seconds.")
        var timeout: Double = 600
        @Option(help: "Seconds between looks.")
        var interval: Double = 0.5

        func run() async throws {
            guard filter.state.isEmpty else { throw CLIError("wait looks at unfinished jobs itself; leave out --state") }
            guard timeout >= 0, interval > 0 else { throw CLIError("--timeout must be 0 or more and --interval more than 0") }
            var unfinished = try filter.filter()
            unfinished.states = JobState.allCases.filter { !$0.isFinal }
            let started = ContinuousClock.now
            let waited = try await database.withPool(size: 1) { pool in
                let queue = JobQueue(pool: pool)
                while true {
                    let left = try await queue.jobs(unfinished, limit: 1)
                    let elapsed = ContinuousClock.now - started
                    if left.isEmpty { return Optional(elapsed) }
                    if elapsed >= .seconds(timeout) { return nil }
                    try await Task.sleep(for: .seconds(interval))
                }
            }
            guard let waited else {
                print("jobs still unfinished after \(timeout)s (reel jobs list shows them)")
                throw ExitCode(1)
            }
            print("no unfinished jobs match (waited \(String(format: "%.1f", waited.seconds))s)")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run discarded, cancelled or waiting jobs again now: one by id, or all matching the filters.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var filter: FilterOptions
        @Argument var ids: [Int64] = []

        func run() async throws {
            guard !ids.isEmpty || !filter.isEmpty else {
                throw CLIError("name job ids or a filter, e.g. reel jobs retry --state discarded --kind video.transcode")
            }
            let n = try await database.withPool(size: 1) { pool in
                let queue = JobQueue(pool: pool)
                return ids.isEmpty ? try await queue.retry(matching: try filter.filter()) : try await queue.retry(ids)
            }
            print("retried \(n) job\(n == 1 ? "" : "s")")
            if n == 0, !ids.isEmpty { throw ExitCode(1) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel jobs: waiting ones at once, running ones cooperatively.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var filter: FilterOptions
        @Option var reason = "cancelled by an operator"
        @Argument var ids: [Int64] = []

        func run() async throws {
            guard !ids.isEmpty || !filter.isEmpty else { throw CLIError("name job ids or a filter") }
            let n = try await database.withPool(size: 1) { pool in
                let queue = JobQueue(pool: pool)
                return ids.isEmpty
                    ? try await queue.cancel(matching: try filter.filter(), reason: reason)
                    : try await queue.cancel(ids, reason: reason)
            }
            print("cancelled \(n) job\(n == 1 ? "" : "s")")
            if n == 0, !ids.isEmpty { throw ExitCode(1) }
        }
    }
}
