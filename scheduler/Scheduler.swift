import Foundation
public import Logging
import ReelCatalog
public import ReelPostgres
public import ServiceLifecycle
import ReelPipeline
import ReelQueue

/// The queue's housekeeper, as a `Service`: any number may run, one leads.
///
/// Every round the leader rescues jobs whose lease expired (their worker
/// died), promotes scheduled and retryable jobs whose time has come and
/// enqueues due periodic jobs; every pruning round it releases pending jobs
/// whose parents are done but were missed, keeps the job history's
/// partitions, and removes expired uploads. Followers only try to take the lead.
public final class Scheduler: Service, Sendable {
    private let pool: PostgresPool
    private let config: SchedulerConfiguration
    private let logger: Logger
    private let election: LeaderElection
    private let periodic: PeriodicJobs
    private let gauges = QueueGauges()

    public init(pool: PostgresPool, configuration: SchedulerConfiguration, logger: Logger) {
        self.pool = pool
        self.config = configuration
        var logger = logger
        logger[metadataKey: "scheduler"] = "\(configuration.id)"
        self.logger = logger
        self.election = LeaderElection(pool: pool, name: "scheduler", candidateID: configuration.id, ttl: configuration.leaderTTL)
        self.periodic = PeriodicJobs(pool: pool)
    }

    public func run() async throws {
        logger.info("scheduler started")
        let leading = await cancelWhenGracefulShutdown { await self.loop() }
        if leading { try? await election.resign() }
        logger.info("scheduler stopped")
    }

    /// Rounds until cancelled; returns whether this scheduler led at the end.
    private func loop() async -> Bool {
        var leading = false
        var lastPrune = ContinuousClock.now - .seconds(config.pruneInterval)
        var lastGauges = ContinuousClock.now - .seconds(60)
        var gaugedQueues: [String] = []
        while !Task.isCancelled {
            do {
                let nowLeading = try await election.tryLead()
                if nowLeading != leading {
                    logger.info(nowLeading ? "became the leader" : "lost the leadership")
                    leading = nowLeading
                    if !leading {
                        gauges.clear(gaugedQueues)
                        gaugedQueues = []
                    }
                }
                if leading {
                    try await round()
                    if ContinuousClock.now - lastGauges >= .seconds(5) {
                        lastGauges = ContinuousClock.now
                        let summaries = try await JobQueue(pool: pool).summaries()
                        gauges.update(summaries)
                        gaugedQueues = summaries.map(\.name)
                    }
                    if ContinuousClock.now - lastPrune >= .seconds(config.pruneInterval) {
                        lastPrune = ContinuousClock.now
                        try await prune()
                        let expired = try await UploadExpiry.run(pool: pool)
                        if expired > 0 { logger.info("removed \(expired) expired uploads") }
                        try await Webhooks.prune(olderThanDays: config.webhookEventDays, pool: pool)
                    }
                }
            } catch {
                logger.warning("scheduler round failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(config.interval))
        }
        return leading
    }

    /// One round of the leader's duties; public so tests and `reel` can run one.
    public func round() async throws {
        let rescued = try await pool.query("SELECT reel_rescue(1000)").single(Int.self)
        if rescued > 0 { logger.warning("rescued \(rescued) jobs whose worker stopped renewing its lease") }
        while try await pool.query("SELECT reel_promote(5000)").single(Int.self) >= 5000 {}
        let enqueued = try await periodic.enqueueDue()
        if enqueued > 0 { logger.info("enqueued \(enqueued) periodic jobs") }
    }

    /// Keeps the job history's partitions: makes the next ones and drops those
    /// past retention whole (`reel_history_maintain`), never row by row.
    public func prune() async throws {
        let repaired = try await pool.query("SELECT reel_repair_pending()").single(Int.self)
        if repaired > 0 { logger.warning("released \(repaired) pending jobs whose parents had all finished") }
        let changed = try await pool.query(
            "SELECT reel_history_maintain($1::interval, $2::interval, $3::interval, $4)",
            ["\(config.historyPartition) seconds", "\(config.completedRetention) seconds", "\(config.failedRetention) seconds",
             // Partitions ahead: enough to last until the next round, and two more.
             min(1000, Int((config.pruneInterval / max(1, config.historyPartition)).rounded(.up)) + 2)]
        ).single(Int.self)
        if changed > 0 { logger.info("job history: \(changed) partitions made or dropped") }
    }
}
