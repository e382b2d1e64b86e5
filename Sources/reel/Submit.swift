import ArgumentParser
import Foundation
import ReelQueue
import ReelPipeline

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enqueue one job.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The job's kind, e.g. noop, sleep, fail.")
    var kind: String
    @Option(help: "Arguments as a JSON object.")
    var args = "{}"
    @Option(help: "The queue (default: the kind's own, e.g. media for video.ingest; default for unknown kinds).")
    var queue: String?
    @Option(help: "Lower runs first.")
    var priority = 0
    @Option(help: "Tenant the job is for (fair share within a queue).")
    var tenant = ""
    @Option(help: "Run at this time: ISO 8601 or +SECONDS.")
    var runAt: String?
    @Option(help: "Return the live job with this key instead of adding a second.")
    var uniqueKey: String?
    @Option(name: .customLong("after"), parsing: .upToNextOption, help: "Parent job ids that must complete first.")
    var after: [Int64] = []
    @Option(help: "Attempts before the job is discarded (default: the kind's own; 20 for unknown kinds).")
    var maxAttempts: Int?
    @Flag(help: "Accept a kind no handler of this build knows.")
    var anyKind = false
    @Option(help: "Enqueue this many copies at once with COPY (bulk).")
    var count = 1

    func run() async throws {
        let declared = ReelJobs.all.first { $0.name == kind }
        if !anyKind, declared == nil {
            let known = ReelJobs.all.map(\.name).sorted()
            throw CLIError("unknown job kind '\(kind)'; known kinds: \(known.joined(separator: ", ")) (pass --any-kind to submit it anyway)")
        }
        let queue = queue ?? declared?.queue ?? ReelJobs.Queue.standard
        let request = JobRequest(
            kind: kind, args: args, queue: queue, tenant: tenant, priority: priority, maxAttempts: maxAttempts ?? declared?.maxAttempts ?? 20,
            runAt: try runAt.map(CLI.parseDate), uniqueKey: uniqueKey, parents: after)
        do { try request.validate() } catch { throw CLIError(error.description) }
        guard count >= 1 else { throw CLIError("--count must be at least 1") }
        if count > 1 {
            let n = try await database.withPool(size: 1) { pool in
                try await JobQueue(pool: pool).enqueueMany(Array(repeating: request, count: count))
            }
            if output.json { return try CLI.printJSON(["enqueued": n]) }
            return print("enqueued \(n) \(kind) jobs on \(queue)")
        }
        let result = try await database.withPool(size: 1) { pool in try await JobQueue(pool: pool).enqueue(request) }
        if output.json { return try CLI.printJSON(result) }
        print(result.inserted ? "job \(result.id) \(result.state)" : "job \(result.id) already exists with key '\(uniqueKey ?? "")' (\(result.state))")
    }
}
