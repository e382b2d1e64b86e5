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
            entry(ingest), entry(transcode), entry(package), entry(fileIngest), entry(fileTranscode), entry(filePackage),
            entry(replicate), entry(scrub), entry(collectGarbage), entry(warm), entry(purge), entry(popular), entry(edgeStats),
            entry(noop), entry(sleep), entry(fail), entry(crash), entry(snooze),
        ]
    }()
}
