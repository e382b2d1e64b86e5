import ArgumentParser
import Foundation
import Logging
import ReelPostgres
import ReelPipeline
import ReelQueue
import ReelScheduler
import ReelThreads
import ServiceLifecycle
import Synchronization

/// The growth mode of scripts/bench/queue.sh: the queue measured with a
/// given history behind it, and over a sustained run with pruning on.
extension Bench {
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sets the job history to --rows finished jobs (queue 'retained'), in fresh partitions of --partition-seconds.")
        @OptionGroup var database: DatabaseOptions
        @Option var rows = 0
        @Option var partitionSeconds = 3600

        func run() async throws {
            try await database.withPool(size: 2) { pool in
                let partitions = try await pool.query(
                    "SELECT relid::regclass::text FROM pg_partition_tree('reel_jobs_history') WHERE isleaf AND relid::regclass::text NOT LIKE '%_default'")
                for row in partitions { try await pool.query("DROP TABLE \(try row.decode(String.self, 0))") }
                try await pool.query("TRUNCATE reel_jobs_history")
                try await pool.query("SELECT reel_history_maintain($1::interval, '24 hours', '168 hours')", ["\(max(1, partitionSeconds)) seconds"])
                var left = rows
                while left > 0 {
                    let n = min(left, 1_000_000)
                    try await pool.query(
                        """
                        INSERT INTO reel_jobs_history (kind, queue, state, attempt, attempted_at, finalized_at)
                        SELECT $2, 'retained', 'completed', 1, now(), now() FROM generate_series(1, $1::int)
                        """, [n, ReelJobs.noop.name])
                    left -= n
                }
                try await pool.query("ANALYZE reel_jobs_history")
                try CLI.printCompactJSON(Result(rows: rows))
            }
        }
    }

    struct Complete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Times the completion of one running job (reel_complete, one round trip), --samples times: p50 and p99.")
        @OptionGroup var database: DatabaseOptions
        @Option var samples = 300

        func run() async throws {
            try await database.withPool(size: 2) { pool in
                try await reset(pool)
                let queue = JobQueue(pool: pool)
                var times: [Double] = []
                for i in 0..<(samples + 5) {
                    _ = try await queue.enqueue(JobRequest(kind: ReelJobs.noop.name, queue: Bench.queue))
                    guard let row = try await pool.query("SELECT id, attempt FROM reel_fetch($1, 'bench', 1, '30 seconds')", [Bench.queue]).first
                    else { throw CLIError("the job just enqueued could not be claimed") }
                    let id = try row.decode(Int64.self, 0), attempt = try row.decode(Int.self, 1)
                    let start = ContinuousClock.now
                    let done = try await pool.query("SELECT reel_complete($1::bigint[], $2::int[])", [[id], [attempt]]).first?.decode(Int.self, 0)
                    let elapsed = (ContinuousClock.now - start).seconds * 1000
                    guard done == 1 else { throw CLIError("job \(id) was not completed") }
                    if i >= 5 { times.append(elapsed) }
                }
                try await reset(pool)
                times.sort()
                func rank(_ p: Double) -> Double { times[min(times.count - 1, Int((p * Double(times.count)).rounded(.up)) - 1)] }
                try CLI.printCompactJSON(Result(samples: samples, p50_ms: rank(0.5), p99_ms: rank(0.99)))
            }
        }
    }

    struct Sustain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enqueues --rate jobs/s for --seconds with a worker and a pruning scheduler in process; prints a JSON line every --every s.")
        @OptionGroup var database: DatabaseOptions
        @Option var rate = 3000
        @Option var seconds = 600
        @Option(help: "Retention of finished jobs, seconds.")
        var retainSeconds = 120
        @Option(help: "Seconds per history partition.")
        var partitionSeconds = 30
        @Option var every = 30

        struct Sample: Encodable {
            var t: Int, enqueued: Int, completed: Int, jobs_per_s: Double, backlog: Int
            var live_rows: Int64, live_dead_rows: Int64, live_bytes: Int64, live_index_bytes: Int64
            var history_bytes: Int64, history_index_bytes: Int64, history_partitions: Int
        }

        struct Summary: Encodable {
            var summary = true, rate: Int, seconds: Int, enqueued: Int, completed: Int
            var baseline_t: Int, baseline_bytes: Int64, final_bytes: Int64, size_growth_ratio: Double
            var max_dead_rows: Int64
        }

        func run() async throws {
            try await database.withPool(size: 3) { pool in
                try await reset(pool)
                let handled = Atomic<Int>(0)
                var handlers = JobHandlers()
                handlers.register(ReelJobs.noop.name) { _ in
                    handled.add(1, ordering: .relaxed)
                    return .completed
                }
                var config = WorkerConfiguration(queues: [Bench.queue: 200])
                config.fetchBatch = 100
                let workerPool = PostgresPool(url: database.url, maxConnections: 4, setup: config.connectionSetup)
                let worker = ReelQueue.Worker(pool: workerPool, handlers: handlers, configuration: config, logger: CLI.logger("bench"))
                var scheduling = SchedulerConfiguration(id: "bench-sustain")
                scheduling.completedRetention = Double(retainSeconds)
                scheduling.failedRetention = Double(retainSeconds)
                scheduling.historyPartition = Double(max(1, partitionSeconds))
                scheduling.pruneInterval = Double(max(1, partitionSeconds / 3))
                let scheduler = Scheduler(pool: pool, configuration: scheduling, logger: CLI.logger("bench"))
                let group = ServiceGroup(services: [worker, scheduler], logger: CLI.logger("bench"))
                async let running: Void = group.run()

                let start = ContinuousClock.now
                let queue = JobQueue(pool: pool)
                // The enqueuer keeps to the rate: every 100 ms, the jobs due by then (COPY).
                let enqueuer = Task {
                    var sent = 0
                    while ContinuousClock.now - start < .seconds(seconds) {
                        let due = Int(Double(rate) * (ContinuousClock.now - start).seconds)
                        if due > sent {
                            sent += try await queue.enqueueMany(Array(repeating: JobRequest(kind: ReelJobs.noop.name, queue: Bench.queue), count: due - sent))
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return sent
                }
                var samples: [Sample] = []
                var lastDone = 0
                var next = start + .seconds(every)
                while ContinuousClock.now - start < .seconds(seconds) {
                    try await Task.sleep(until: min(next, start + .seconds(seconds)))
                    next = next + .seconds(every)
                    let t = Int((ContinuousClock.now - start).seconds.rounded())
                    let done = handled.load(ordering: .relaxed)
                    var sample = try await Self.sizes(pool)
                    sample.t = t
                    sample.completed = done
                    sample.enqueued = Int(Double(rate) * (ContinuousClock.now - start).seconds)
                    sample.backlog = max(0, sample.enqueued - done)
                    sample.jobs_per_s = Double(done - lastDone) / Double(max(1, every))
                    lastDone = done
                    samples.append(sample)
                    try CLI.printCompactJSON(sample)
                }
                let enqueued = try await enqueuer.value
                await group.triggerGracefulShutdown()
                try await running
                await workerPool.close()
                try await reset(pool)
                // Retention is reached once the oldest kept partition is retention plus two widths old.
                let steady = retainSeconds + 2 * partitionSeconds
                let total = { (s: Sample) in s.live_bytes + s.history_bytes }
                let baseline = samples.first { $0.t >= steady } ?? samples.last
                let final = samples.last
                try CLI.printCompactJSON(Summary(
                    rate: rate, seconds: seconds, enqueued: enqueued, completed: handled.load(ordering: .relaxed),
                    baseline_t: baseline?.t ?? 0, baseline_bytes: baseline.map(total) ?? 0, final_bytes: final.map(total) ?? 0,
                    size_growth_ratio: Double(final.map(total) ?? 0) / Double(max(1, baseline.map(total) ?? 1)),
                    max_dead_rows: samples.map(\.live_dead_rows).max() ?? 0))
            }
        }

        /// Sizes and dead rows from the statistics views and relation sizes:
        /// nothing here reads the history's rows.
        static func sizes(_ pool: PostgresPool) async throws -> Sample {
            guard let row = try await pool.query(
                """
                SELECT coalesce(s.n_live_tup, 0), coalesce(s.n_dead_tup, 0),
                       pg_total_relation_size('reel_jobs_live'), pg_indexes_size('reel_jobs_live'),
                       (SELECT coalesce(sum(pg_total_relation_size(relid)), 0)::bigint FROM pg_partition_tree('reel_jobs_history') WHERE isleaf),
                       (SELECT coalesce(sum(pg_indexes_size(relid)), 0)::bigint FROM pg_partition_tree('reel_jobs_history') WHERE isleaf),
                       (SELECT count(*)::int FROM pg_partition_tree('reel_jobs_history') WHERE isleaf)
                FROM (SELECT 1) one LEFT JOIN pg_stat_user_tables s ON s.relid = 'reel_jobs_live'::regclass
                """).first else { throw CLIError("no statistics for reel_jobs_live") }
            return Sample(
                t: 0, enqueued: 0, completed: 0, jobs_per_s: 0, backlog: 0,
                live_rows: try row.decode(Int64.self, 0), live_dead_rows: try row.decode(Int64.self, 1),
                live_bytes: try row.decode(Int64.self, 2), live_index_bytes: try row.decode(Int64.self, 3),
                history_bytes: try row.decode(Int64.self, 4), history_index_bytes: try row.decode(Int64.self, 5),
                history_partitions: try row.decode(Int.self, 6))
        }
    }
}
