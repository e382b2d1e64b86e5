import ArgumentParser
import Foundation
import ReelPipeline
import ReelScheduler
import Logging
import ReelPostgres
import ReelQueue
import ReelAPI
import ReelCatalog
import ReelStore
import ReelWorkers
import ServiceLifecycle
import UnixSignals

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run job handlers for the given queues until SIGTERM or SIGINT (then shut down gracefully).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storage: RegionOptions
    @Option(help: "Queues and per-process concurrency, e.g. transcode=2,package=4.")
    var queues: String = "default=4"
    @Option(help: "Most jobs claimed by one fetch.")
    var batch = 100
    @Option(help: "Seconds a job's lease lasts (renewed by heartbeats while it runs).")
    var lease = 15.0
    @Option(help: "Seconds between polls when no notification arrives.")
    var pollInterval = 1.0
    @Flag(help: "Only poll, never LISTEN (for PgBouncer transaction pooling without --listen-database-url).")
    var pollOnly = false
    @Option(name: .customLong("listen-database-url"),
            help: "PostgreSQL itself, for LISTEN, when --database-url goes through a transaction pooler (default: $REEL_DATABASE_LISTEN_URL; without it such a worker only polls).")
    var listenDatabaseURL: String?
    @Option(help: "Seconds running jobs get to finish on shutdown before their leases are released.")
    var shutdownTimeout = 10.0
    @Option(help: "First retry delay in seconds (doubles each attempt, with jitter).")
    var retryBase = 1.0
    @Option(help: "Longest retry delay in seconds.")
    var retryMax = 3600.0
    @Flag(help: "Wait for the WAL flush on claims and acks too (slower; see docs/job-lifecycle.md).")
    var synchronousCommit = false
    @Option(help: "Token sent with PURGE and BAN to the edges (the one `reel edge-config` wrote into their VCL; default: $REEL_EDGE_TOKEN).")
    var edgeToken: String?
    @Option(help: "Segments of every rendition an edge is warmed with when a video is published.")
    var warmSegments = Int(ProcessInfo.processInfo.environment["REEL_EDGE_WARM_SEGMENTS"] ?? "") ?? 3
    @Option(help: "Stored copies the periodic scrub reads back and hashes a second (default: $REEL_SCRUB_RATE, else 2).")
    var scrubRate: Double?
    @OptionGroup var metrics: MetricsOptions
    @Flag(help: "Also run the demonstration handlers (noop, sleep, fail, crash, snooze; crash exits the process): for tests and demos only (or REEL_DEMO_HANDLERS=1).")
    var demoHandlers = ProcessInfo.processInfo.environment["REEL_DEMO_HANDLERS"] == "1"

    func run() async throws {
        let logger = CLI.logger("reel.worker")
        var config = WorkerConfiguration(queues: try WorkerConfiguration.parseQueues(queues))
        config.fetchBatch = max(1, batch)
        config.lease = lease
        config.pollInterval = pollInterval
        config.pollOnly = pollOnly
        config.listenURL = listenDatabaseURL ?? ProcessInfo.processInfo.environment["REEL_DATABASE_LISTEN_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if database.pooling == .transaction && config.listenURL == nil && !pollOnly {
            config.pollOnly = true
            logger.notice("only polling: a transaction pooler cannot keep a LISTEN session (set REEL_DATABASE_LISTEN_URL to PostgreSQL itself to listen)")
        }
        config.shutdownTimeout = shutdownTimeout
        config.retry = RetryPolicy(base: retryBase, maximum: max(retryBase, retryMax))
        config.synchronousCommit = synchronousCommit
        // Media jobs fill the scratch disk: while it is nearly full they wait (REEL_MIN_FREE_MIB).
        let scratchGuard = DiskGuard(folder: storage.scratch, minimumFree: try UploadPolicyEnvironment.minimumFree())
        config.hold = { queue in queue == ReelJobs.Queue.media ? scratchGuard.shortage().map { "the scratch disk has \($0)" } : nil }
        try await database.checkServer(writes: true, logger: logger)
        let pool = PostgresPool(url: database.url, maxConnections: config.queues.count + 3, setup: config.connectionSetup,
                                pooling: database.pooling)
        // With signed playback, warm fetches are signed like a viewer's (for an hour).
        var playbackSignature: (@Sendable (String) -> String)?
        if let key = ProcessInfo.processInfo.environment["REEL_PLAYBACK_KEY"], !key.isEmpty {
            let signer: PlaybackSigner
            do { signer = try PlaybackSigner(key: key) } catch let error as TokenError { throw CLIError(error.description) }
            playbackSignature = { video in signer.query(video: video, expires: Date().addingTimeInterval(3600)) }
        }
        let handlers = ReelHandlers.all(catalog: try storage.catalog(pool), regions: try storage.load(), scratch: storage.scratch,
                                        edgeToken: edgeToken ?? ProcessInfo.processInfo.environment["REEL_EDGE_TOKEN"] ?? "",
                                        warmSegments: max(0, warmSegments), limits: try MediaLimitsEnvironment.load(),
                                        perTitle: try PerTitleEnvironment.load(), av1: try AV1Environment.load(),
                                        demo: demoHandlers,
                                        scrubRate: try scrubRate ?? EnvironmentNumber.read("REEL_SCRUB_RATE", atLeast: 0.01) ?? 2,
                                        playbackSignature: playbackSignature, webhooks: try WebhookSettingsEnvironment.delivery())
        let worker = ReelQueue.Worker(pool: pool, handlers: handlers, configuration: config, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: try CLI.tracing("reel-worker", logger: logger) + [.init(service: worker)] + metrics.services(pool: pool, logger: logger),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await pool.close()
    }
}

struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run the scheduler: rescue expired leases, promote due jobs, periodic jobs, pruning (one of many leads).")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Seconds between rounds.")
    var interval = 1.0
    @Option(help: "Seconds a leader's term lasts; a dead leader is replaced after at most this.")
    var leaderTTL = 5.0
    @Option(help: "Hours to keep completed jobs.")
    var retainCompletedHours = 24.0
    @Option(help: "Hours to keep discarded and cancelled jobs.")
    var retainFailedHours = 168.0
    @Option(help: "Seconds of finished jobs per history partition (retention drops whole partitions).")
    var historyPartitionSeconds = 3600.0
    @Option(help: "Seconds between pruning rounds.")
    var pruneInterval = 60.0
    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        let logger = CLI.logger("reel.scheduler")
        var config = SchedulerConfiguration(id: WorkerConfiguration.defaultID())
        config.interval = interval
        config.leaderTTL = leaderTTL
        config.completedRetention = retainCompletedHours * 3600
        config.failedRetention = retainFailedHours * 3600
        config.historyPartition = max(1, historyPartitionSeconds)
        config.pruneInterval = max(1, pruneInterval)
        try await database.checkServer(writes: true, logger: logger)
        let pool = database.pool(size: 2)
        let scheduler = Scheduler(pool: pool, configuration: config, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: try CLI.tracing("reel-scheduler", logger: logger) + [.init(service: scheduler)]
                + metrics.services(pool: pool, logger: logger),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await pool.close()
    }
}
