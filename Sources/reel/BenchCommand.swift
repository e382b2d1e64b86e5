import ArgumentParser
import Foundation
import Logging
import ReelPostgres
import ReelPipeline
import ReelQueue
import ServiceLifecycle
import Synchronization
import ReelThreads

/// In-process measurements for scripts/bench/queue.sh; each prints one JSON line.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue benchmarks (used by scripts/bench/queue.sh); each prints one JSON line.",
        subcommands: [Enqueue.self, Drain.self, Latency.self, History.self, Complete.self, Sustain.self])

    struct Result: Encodable { var jobs: Int? = nil; var seconds: Double? = nil; var jobs_per_s: Double? = nil
        var samples: Int? = nil; var p50_ms: Double? = nil; var p99_ms: Double? = nil; var rows: Int? = nil }

    static let queue = "bench"

    /// Leaves no bench job in the live table. Finished ones stay in the
    /// history: they are history like any other (`bench history` sets it).
    static func reset(_ pool: PostgresPool) async throws {
        try await pool.query("DELETE FROM reel_jobs_live WHERE queue = $1", [queue])
        try await pool.query("VACUUM ANALYZE reel_jobs_live")
    }

    static func requests(_ n: Int) -> [JobRequest] {
        (0..<n).map { i in JobRequest(kind: ReelJobs.noop.name, args: #"{"n":\#(i)}"#, queue: queue) }
    }

    struct Enqueue: AsyncParsableCommand {
        @OptionGroup var database: DatabaseOptions
        @Option var jobs = 100_000
        @Option(help: "Jobs per COPY.")
        var batch = 10_000

        func run() async throws {
            try await database.withPool(size: 2) { pool in
                try await reset(pool)
                let all = requests(jobs)
                let queue = JobQueue(pool: pool)
                let start = ContinuousClock.now
                var i = 0
                while i < all.count {
                    try await queue.enqueueMany(Array(all[i..<min(all.count, i + batch)]))
                    i += batch
                }
                let seconds = (ContinuousClock.now - start).seconds
                try await reset(pool)
                try CLI.printCompactJSON(Result(jobs: jobs, seconds: seconds, jobs_per_s: Double(jobs) / seconds))
            }
        }
    }

    struct Drain: AsyncParsableCommand {
        @OptionGroup var database: DatabaseOptions
        @Option var jobs = 100_000
        @Option(help: "Most jobs claimed per fetch.")
        var batch = 100
        @Option(help: "Jobs running at once in the worker.")
        var concurrency = 200
        @Flag(help: "Claims and acks wait for the WAL flush (the worker's --synchronous-commit).")
        var synchronousCommit = false

        func run() async throws {
            try await database.withPool(size: 2) { pool in
                try await reset(pool)
                var i = 0
                let all = requests(jobs)
                while i < all.count {
                    try await JobQueue(pool: pool).enqueueMany(Array(all[i..<min(all.count, i + 20_000)]))
                    i += 20_000
                }
                try await pool.query("ANALYZE reel_jobs_live")
                let handled = Atomic<Int>(0)
                var handlers = JobHandlers()
                handlers.register(ReelJobs.noop.name) { _ in
                    handled.add(1, ordering: .relaxed)
                    return .completed
                }
                var config = WorkerConfiguration(queues: [queue: concurrency])
                config.fetchBatch = batch
                config.synchronousCommit = synchronousCommit
                let workerPool = PostgresPool(url: database.url, maxConnections: 4, setup: config.connectionSetup)
                let worker = ReelQueue.Worker(pool: workerPool, handlers: handlers, configuration: config, logger: CLI.logger("bench"))
                let group = ServiceGroup(services: [worker], logger: CLI.logger("bench"))
                let start = ContinuousClock.now
                async let running: Void = group.run()
                // Done when every handler ran and no job is left available or
                // running (both answered from partial indexes, so cheap to ask).
                while true {
                    if handled.load(ordering: .relaxed) >= jobs,
                        try await pool.query(
                            """
                            SELECT NOT EXISTS (SELECT 1 FROM reel_jobs_live WHERE queue = $1 AND state = 'available')
                               AND NOT EXISTS (SELECT 1 FROM reel_jobs_live WHERE queue = $1 AND state = 'running')
                            """, [queue]
                        ).first?.decode(Bool.self, 0) == true
                    {
                        break
                    }
                    try await Task.sleep(for: .milliseconds(5))
                }
                let seconds = (ContinuousClock.now - start).seconds
                // Every handler ran once and nothing is left live: all finished,
                // checked without reading the history (it may hold millions).
                guard handled.load(ordering: .relaxed) == jobs else {
                    throw CLIError("drain ran \(handled.load(ordering: .relaxed)) handlers for \(jobs) jobs")
                }
                await group.triggerGracefulShutdown()
                try await running
                await workerPool.close()
                try await reset(pool)
                try CLI.printCompactJSON(Result(jobs: jobs, seconds: seconds, jobs_per_s: Double(jobs) / seconds))
            }
        }
    }

    struct Latency: AsyncParsableCommand {
        @OptionGroup var database: DatabaseOptions
        @Option var samples = 500
        @Flag(help: "Measure the poll-only mode instead of LISTEN/NOTIFY.")
        var pollOnly = false

        func run() async throws {
            try await database.withPool(size: 2) { pool in
                try await reset(pool)
                let started = Mutex<[Int64: ContinuousClock.Instant]>([:])
                let wake = AsyncStream<Void>.makeStream()
                var handlers = JobHandlers()
                handlers.register(ReelJobs.noop.name) { context in
                    let now = ContinuousClock.now
                    started.withLock { $0[context.job.id] = now }
                    wake.continuation.yield()
                    return .completed
                }
                var config = WorkerConfiguration(queues: [queue: 10])
                config.pollOnly = pollOnly
                let workerPool = PostgresPool(url: database.url, maxConnections: 4, setup: config.connectionSetup)
                let worker = ReelQueue.Worker(pool: workerPool, handlers: handlers, configuration: config, logger: CLI.logger("bench"))
                let group = ServiceGroup(services: [worker], logger: CLI.logger("bench"))
                async let running: Void = group.run()
                try await Task.sleep(for: .milliseconds(300))
                let queue = JobQueue(pool: pool)
                var iterator = wake.stream.makeAsyncIterator()
                var latencies: [Double] = []
                for i in 0..<(samples + 5) {
                    let sent = ContinuousClock.now
                    let id = try await queue.enqueue(JobRequest(kind: ReelJobs.noop.name, queue: Bench.queue)).id
                    let enqueued = ContinuousClock.now
                    while started.withLock({ $0[id] }) == nil { _ = await iterator.next() }
                    if ProcessInfo.processInfo.environment["REEL_BENCH_DEBUG"] != nil, let at = started.withLock({ $0[id] }) {
                        FileHandle.standardError.write(Data("enqueue \((enqueued - sent).seconds * 1000) ms, to handler \((at - enqueued).seconds * 1000) ms\n".utf8))
                    }
                    if i >= 5, let at = started.withLock({ $0[id] }) { latencies.append((at - sent).seconds * 1000) }
                    try await Task.sleep(for: .milliseconds(20))
                }
                await group.triggerGracefulShutdown()
                try await running
                await workerPool.close()
                try await reset(pool)
                latencies.sort()
                func rank(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)] }
                try CLI.printCompactJSON(Result(samples: samples, p50_ms: rank(0.5), p99_ms: rank(0.99)))
            }
        }
    }
}

extension CLI {
    static func printCompactJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
