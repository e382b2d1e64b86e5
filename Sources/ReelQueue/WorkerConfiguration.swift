import Foundation

/// How a worker process runs jobs.
public struct WorkerConfiguration: Sendable {
    /// Queues to work and how many of each this process runs at once (its
    /// per-process limit; a queue's global limit is set with `reel queues set`).
    public var queues: [String: Int]
    /// The most jobs one fetch claims (fewer when fewer slots are free).
    public var fetchBatch: Int = 100
    /// Seconds a claimed job's lease lasts; heartbeats renew it while the handler runs.
    public var lease: Double = 15
    /// Seconds between heartbeats; default a third of the lease.
    public var heartbeat: Double?
    /// Seconds between polls when no notification arrives (the fallback).
    public var pollInterval: Double = 1
    /// Never LISTEN, only poll: for PgBouncer in transaction pooling mode
    /// when no direct URL is given for listening.
    public var pollOnly = false
    /// Where the worker LISTENs, when not through its pool's URL: PostgreSQL
    /// itself, while the pool goes through a transaction pooler that cannot
    /// keep a listening session.
    public var listenURL: String?
    /// Seconds running jobs get to finish on shutdown before their leases are released.
    public var shutdownTimeout: Double = 10
    public var retry = RetryPolicy()
    /// Wait for the WAL flush on every claim and acknowledgement. Off by
    /// default: everything a worker writes is recoverable through leases (a
    /// claim or ack lost in a database crash only means the job runs again),
    /// so the worker's connections use `synchronous_commit = off` and skip an
    /// fsync per batch. Enqueues, which are the only copy of a job, always wait.
    public var synchronousCommit = false

    /// Asked before each claim of a queue: a reason to take none of its jobs
    /// now (the media queue when the scratch disk is nearly full), or nil.
    /// Held jobs stay available for this or any other worker; nothing is lost.
    public var hold: (@Sendable (_ queue: String) -> String?)?

    /// What each of the worker's pooled connections runs first.
    public var connectionSetup: String? { synchronousCommit ? nil : "SET synchronous_commit = off" }
    /// Identifies this worker in `attempted_by` and error histories.
    public var id: String

    public init(queues: [String: Int], id: String = WorkerConfiguration.defaultID()) {
        self.queues = queues
        self.id = id
    }

    var heartbeatInterval: Double { heartbeat ?? max(0.2, lease / 3) }

    /// `host:pid:random`, unique enough to tell workers apart in history.
    public static func defaultID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    /// Parses `transcode=2,package=4` (a bare name means 1).
    public static func parseQueues(_ text: String) throws(QueueError) -> [String: Int] {
        var out: [String: Int] = [:]
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = pieces.first, !name.isEmpty else { continue }
            var limit = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else {
                    throw QueueError(.invalidRequest, "in --queues, '\(part)' needs a positive number after '=' (e.g. transcode=2)")
                }
                limit = n
            }
            out[name] = limit
        }
        if out.isEmpty { throw QueueError(.invalidRequest, "--queues names no queue; e.g. --queues transcode=2,package=4") }
        return out
    }
}
