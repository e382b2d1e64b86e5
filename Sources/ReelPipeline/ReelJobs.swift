public import ReelQueue

/// Every kind of job Reel runs, declared once: name, queue, arguments, unique
/// key, attempts and time limit. Producers (the API's upload transaction, a
/// handler's own transaction, the CLI) enqueue through these values and the
/// workers register their handlers by them, so a kind's name and key are
/// spelled here and nowhere else in Swift (docs/architecture.md).
public enum ReelJobs {
    /// The queues Reel's workers serve.
    public enum Queue {
        /// Decoding and encoding: a worker's scratch disk and cores.
        public static let media = "media"
        /// Copies between regions, and the scrubbing of stored copies.
        public static let replication = "replication"
        /// Warming, purging and reading the edges.
        public static let edges = "edges"
        /// Garbage collection of unreferenced objects.
        public static let maintenance = "maintenance"
        /// Re-encoding videos already playing (AV1 for the popular ones): long,
        /// never urgent, one at a time across the workers (its global limit),
        /// at the lowest CPU priority (``BackgroundLadder``).
        public static let reencode = "reencode"
        /// Webhook deliveries: many short HTTP requests, kept apart from media work.
        public static let webhooks = "webhooks"
        /// Everything without a queue of its own (the demonstration jobs).
        public static let standard = "default"
    }

    // MARK: Publishing an upload (media queue): ingest → transcode → package, one chain per video.

    /// Fetch the source, probe it, plan the ladder.
    public static let ingest = JobKind<VideoJob>("video.ingest", queue: Queue.media, maxAttempts: 5, uniqueKey: \.video)
    /// Every rung and the audio from one decode; segments are published as they are written.
    public static let transcode = JobKind<VideoJob>("video.transcode", queue: Queue.media, maxAttempts: 5, uniqueKey: \.video)
    /// Poster and sprite; the video turns `ready` and replication starts.
    public static let package = JobKind<VideoJob>("video.package", queue: Queue.media, maxAttempts: 5, uniqueKey: \.video)
    /// The publishing chain in order: each waits for the one before.
    public static let publishing = [ingest, transcode, package]

    // MARK: AV1 for popular videos (reencode queue).

    /// Encode and publish a ready video's AV1 renditions beside its H.264 ones.
    public static let av1 = JobKind<VideoJob>("av1.encode", queue: Queue.reencode, maxAttempts: 3, timeout: .seconds(4 * 3600),
                                              uniqueKey: \.video)
    /// The `edge.warm` reason that fills the edges with a video's new AV1 renditions.
    public static let av1WarmReason = "av1"
    /// Choose the videos whose plays crossed the threshold and enqueue their `av1.encode` (periodic).
    public static let av1Select = JobKind<AV1SelectJob>("av1.select", queue: Queue.reencode, maxAttempts: 5, timeout: .seconds(120))

    // MARK: The file-to-file media chain of `reel ingest` (no catalog, no store).

    public static let fileIngest = JobKind<FileMediaJob>("ingest", queue: Queue.media, maxAttempts: 5, uniqueKey: \.key)
    public static let fileTranscode = JobKind<FileMediaJob>("transcode", queue: Queue.media, maxAttempts: 5, uniqueKey: \.key)
    public static let filePackage = JobKind<FileMediaJob>("package", queue: Queue.media, maxAttempts: 5, uniqueKey: \.key)
    public static let fileChain = [fileIngest, fileTranscode, filePackage]

    // MARK: Regions and stored copies.

    /// Copy every object of a video to one other region and verify it.
    public static let replicate = JobKind<ReplicateJob>("replicate", queue: Queue.replication, maxAttempts: 25, timeout: .seconds(3600))
    /// Re-hash the copies scrubbed longest ago and repair what went bad (periodic).
    public static let scrub = JobKind<ScrubJob>("objects.scrub", queue: Queue.replication, maxAttempts: 20, timeout: .seconds(600))
    /// Remove what an expired upload left staged in the home region's store (an S3 multipart upload and its tail).
    public static let unstage = JobKind<UnstageJob>("upload.unstage", queue: Queue.replication, maxAttempts: 20, timeout: .seconds(120),
                                                    uniqueKey: \.upload)
    /// Remove objects no video references any more.
    public static let collectGarbage = JobKind<GarbageJob>("gc", queue: Queue.maintenance, maxAttempts: 20, timeout: .seconds(3600))

    // MARK: Edges.

    /// Fetch a video's warm set through one edge.
    public static let warm = JobKind<EdgeVideoJob>(
        "edge.warm", queue: Queue.edges, maxAttempts: 5, timeout: .seconds(600), uniqueKey: { "\($0.reason ?? "ready"):\($0.video):\($0.edge)" })
    /// Seconds after a deletion's first BAN that a second one follows: longer than an
    /// API reading a standby keeps a finished video in its cache
    /// (`CatalogCache.standbyFinishedTTL`) plus the standby's replay lag.
    public static let purgeAgainAfter: Double = 60
    /// BAN every URL of a deleted video from one edge.
    public static let purge = JobKind<EdgeVideoJob>(
        "edge.purge", queue: Queue.edges, maxAttempts: 25, timeout: .seconds(120), uniqueKey: { "\($0.reason ?? "deleted"):\($0.video):\($0.edge)" })
    /// Rank videos by plays and warm the most played on every edge (periodic).
    public static let popular = JobKind<PopularJob>("edge.popular", queue: Queue.edges, maxAttempts: 20, timeout: .seconds(1800))
    /// Check every edge and read its cache counters (periodic).
    public static let edgeStats = JobKind<NoArguments>("edge.stats", queue: Queue.edges, maxAttempts: 20, timeout: .seconds(120))

    // MARK: Webhooks.

    /// Deliver one event to one endpoint, signed as Standard Webhooks says. At
    /// least once: retried with backoff from 5 s to 10 h over 16 attempts
    /// (more than a day, as the specification asks), each attempt bounded by
    /// the worker's webhook timeout.
    public static let deliverWebhook = JobKind<WebhookJob>(
        "webhook.deliver", queue: Queue.webhooks, maxAttempts: 16, retry: RetryPolicy(base: 5, maximum: 36000, jitter: 0.2),
        timeout: .seconds(120), uniqueKey: { "\($0.event):\($0.endpoint)" })

    // MARK: Demonstration kinds (`reel worker --demo-handlers`, the tests and the benchmarks).

    public static let noop = JobKind<NoArguments>("noop")
    public static let sleep = JobKind<SleepJob>("sleep")
    public static let fail = JobKind<FailJob>("fail")
    public static let crash = JobKind<CrashJob>("crash")
    public static let snooze = JobKind<SnoozeJob>("snooze")
}
