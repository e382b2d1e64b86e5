public import ReelPostgres
import ReelQueue

extension ReelJobs {
    /// The publishing chain of one upload (ingest → transcode → package),
    /// inside the caller's transaction: the upload's, with its `videos` row,
    /// so a video never exists without its jobs. Returns their ids in order.
    @discardableResult
    public static func publish(
        video: String, segmentSeconds: Double? = nil, tenant: String = "", on conn: isolated PostgresConnection
    ) throws -> [Int64] {
        try JobKind.chain(publishing, VideoJob(video: video, segmentSeconds: segmentSeconds), tenant: tenant, on: conn)
    }

    /// One `replicate` job per region in `regions` (every region but the home
    /// one), each after `parents`, inside the caller's transaction.
    @discardableResult
    public static func replicate(
        video: String, to regions: [String], parents: [Int64] = [], on conn: isolated PostgresConnection
    ) throws -> [Int64] {
        try regions.map { region in try replicate.enqueue(ReplicateJob(video: video, region: region), parents: parents, on: conn).id }
    }

    /// Every kind Reel declares, by name, with its queue and attempts: what `reel submit` accepts.
    public static let all: [(name: String, queue: String, maxAttempts: Int)] = {
        func entry<A>(_ kind: JobKind<A>) -> (String, String, Int) { (kind.name, kind.queue, kind.maxAttempts) }
        return [
            entry(ingest), entry(transcode), entry(package), entry(av1), entry(av1Select), entry(fileIngest), entry(fileTranscode), entry(filePackage),
            entry(replicate), entry(scrub), entry(collectGarbage), entry(warm), entry(purge), entry(popular), entry(edgeStats),
            entry(deliverWebhook), entry(unstage), entry(noop), entry(sleep), entry(fail), entry(crash), entry(snooze),
        ]
    }()
}

extension ReelJobs {
    /// A job enqueued by the leading scheduler on a cron schedule (`reel_periodic_jobs`).
    public struct Periodic: Sendable, Hashable {
        public let name: String
        public let cron: String
        public let kind: String
        public let queue: String
        public let args: String

        init<A>(_ name: String, cron: String, _ kind: JobKind<A>, _ arguments: A) {
            self.name = name
            self.cron = cron
            self.kind = kind.name
            self.queue = kind.queue
            // Arguments of Reel's own kinds always encode.
            self.args = (try? JobKind<A>.encode(arguments)) ?? "{}"
        }
    }

    /// What every edge needs, installed with the first edge (`reel edges add`;
    /// an operator's changes are kept): its health and counters every minute,
    /// the popularity ranking and warming every five.
    public static let edgePeriodics = [
        Periodic("edge-stats", cron: "* * * * *", edgeStats, NoArguments()),
        Periodic("edge-popular", cron: "*/5 * * * *", popular, PopularJob(top: 100, minutes: 60)),
    ]
}
