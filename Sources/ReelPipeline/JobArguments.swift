/// The arguments of Reel's job kinds (``ReelJobs``), as stored in the `args`
/// column: JSON objects with snake_case keys, so SQL and the dashboard read them.

/// One uploaded video, for the publishing chain.
public struct VideoJob: Codable, Sendable, Hashable {
    public var video: String
    /// Segment length for this video (tests use 1 s); nil: the worker's default.
    public var segmentSeconds: Double?

    public init(video: String, segmentSeconds: Double? = nil) {
        self.video = video
        self.segmentSeconds = segmentSeconds
    }

    enum CodingKeys: String, CodingKey {
        case video
        case segmentSeconds = "segment_seconds"
    }
}

/// A source file and the folder its ladder is written to (`reel ingest`).
public struct FileMediaJob: Codable, Sendable, Hashable {
    public var source: String
    public var output: String
    /// The video this work is for: the unique key (one chain per video).
    public var video: String?
    public var segmentSeconds: Double?

    public init(source: String, output: String, video: String? = nil, segmentSeconds: Double? = nil) {
        self.source = source
        self.output = output
        self.video = video
        self.segmentSeconds = segmentSeconds
    }

    /// What makes two chains the same work: the video, else the output folder.
    public var key: String { video ?? output }

    enum CodingKeys: String, CodingKey {
        case source, output, video
        case segmentSeconds = "segment_seconds"
    }
}

/// One video's objects, copied to one region.
public struct ReplicateJob: Codable, Sendable, Hashable {
    public var video: String
    public var region: String

    public init(video: String, region: String) {
        self.video = video
        self.region = region
    }
}

/// How long one scrubbing run may go on (it is periodic: every minute, 50 s).
public struct ScrubJob: Codable, Sendable, Hashable {
    public var seconds: Double?

    public init(seconds: Double? = nil) { self.seconds = seconds }
}

/// How old an unreferenced object must be before it is removed (default an hour).
public struct GarbageJob: Codable, Sendable, Hashable {
    public var graceSeconds: Double?

    public init(graceSeconds: Double? = nil) { self.graceSeconds = graceSeconds }

    enum CodingKeys: String, CodingKey {
        case graceSeconds = "grace_seconds"
    }
}

/// One video on one edge; `reason` is why it is warmed (`playable`, `ready`, `popular`).
public struct EdgeVideoJob: Codable, Sendable, Hashable {
    public var video: String
    public var edge: String
    public var reason: String?

    public init(video: String, edge: String, reason: String? = nil) {
        self.video = video
        self.edge = edge
        self.reason = reason
    }
}

/// The `top` most played videos of the last `minutes`.
public struct PopularJob: Codable, Sendable, Hashable {
    public var top: Int?
    public var minutes: Int?

    public init(top: Int? = nil, minutes: Int? = nil) {
        self.top = top
        self.minutes = minutes
    }
}

/// Videos with at least `plays` plays over the last `minutes` (what the API
/// and the edges' agents count), ready, and without AV1 renditions or an
/// attempt at them: at most `limit` (the most played) get an `av1.encode` job per run.
public struct AV1SelectJob: Codable, Sendable, Hashable {
    public var plays: Int?
    public var minutes: Int?
    public var limit: Int?

    public init(plays: Int? = nil, minutes: Int? = nil, limit: Int? = nil) {
        self.plays = plays
        self.minutes = minutes
        self.limit = limit
    }
}

/// `{"ms": 250}`: sleeps, and stops early when cancelled.
public struct SleepJob: Codable, Sendable, Hashable {
    public var ms: Int?
    public init(ms: Int? = nil) { self.ms = ms }
}

/// `{"times": 2}` fails the first two attempts; `{"permanent": true}` fails for good at once.
public struct FailJob: Codable, Sendable, Hashable {
    public var times: Int?
    public var permanent: Bool?
    public var message: String?
    public init(times: Int? = nil, permanent: Bool? = nil, message: String? = nil) {
        self.times = times
        self.permanent = permanent
        self.message = message
    }
}

/// `{"attempts": 1}`: exits the worker's process on the first attempt(s).
public struct CrashJob: Codable, Sendable, Hashable {
    public var attempts: Int?
    public init(attempts: Int? = nil) { self.attempts = attempts }
}

/// `{"until": 1764000000.5}`: snoozes until that Unix time.
public struct SnoozeJob: Codable, Sendable, Hashable {
    public var until: Double?
    public init(until: Double? = nil) { self.until = until }
}

/// One event for one webhook endpoint.
public struct WebhookJob: Codable, Sendable, Hashable {
    /// The event's message id (`webhook_events.id`).
    public var event: String
    public var endpoint: Int64

    public init(event: String, endpoint: Int64) {
        self.event = event
        self.endpoint = endpoint
    }
}

/// An expired upload whose staged bytes are to be removed.
public struct UnstageJob: Codable, Sendable, Hashable {
    public var upload: String
    /// `uploads.staging` as it was (JSON of ReelStore's `StagedUpload`).
    public var staging: String

    public init(upload: String, staging: String) {
        self.upload = upload
        self.staging = staging
    }
}
