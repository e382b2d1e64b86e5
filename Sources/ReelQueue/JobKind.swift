public import Foundation
public import ReelPostgres

/// One kind of job, declared once: its name, queue, argument type, unique
/// key, attempts, backoff and time limit. Producers enqueue a value of
/// `Arguments` through it and handlers register by it and receive the
/// decoded value, so a kind's name and key are spelled in one place (River's
/// `JobArgs` with `Kind()` and `InsertOpts()`, swift-jobs' `JobName<Parameters>`).
public struct JobKind<Arguments: Codable & Sendable>: Sendable {
    /// The `kind` column, e.g. `video.ingest`.
    public let name: String
    public let queue: String
    public let maxAttempts: Int
    /// Backoff between failed attempts; nil: the worker's (`--retry-*`).
    public let retry: RetryPolicy?
    /// How long one attempt may run before it is cancelled and fails (and is
    /// retried while attempts remain); nil: no limit beyond the handler's own.
    public let timeout: Duration?
    private let key: (@Sendable (Arguments) -> String)?

    /// - Parameter uniqueKey: the part after `name:` of the unique key, from the
    ///   arguments: while a job with that key is unfinished, enqueueing again
    ///   returns it instead of adding another. nil: every enqueue adds a job.
    public init(
        _ name: String, queue: String = "default", maxAttempts: Int = 20, retry: RetryPolicy? = nil, timeout: Duration? = nil,
        uniqueKey: (@Sendable (Arguments) -> String)? = nil
    ) {
        self.name = name
        self.queue = queue
        self.maxAttempts = maxAttempts
        self.retry = retry
        self.timeout = timeout
        self.key = uniqueKey
    }

    /// The unique key of the job these arguments make, if the kind has one.
    public func uniqueKey(_ arguments: Arguments) -> String? {
        key.map { "\(name):\($0(arguments))" }
    }

    /// A request for one job of this kind.
    public func request(
        _ arguments: Arguments, tenant: String = "", priority: Int = 0, runAt: Date? = nil, parents: [Int64] = []
    ) throws -> JobRequest {
        JobRequest(
            kind: name, args: try Self.encode(arguments), queue: queue, tenant: tenant, priority: priority, maxAttempts: maxAttempts,
            runAt: runAt, uniqueKey: uniqueKey(arguments), parents: parents)
    }

    /// The arguments as the JSON object stored in `args` (keys sorted, so equal
    /// arguments are equal text).
    public static func encode(_ arguments: Arguments) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(arguments), as: UTF8.self)
    }
}

/// Arguments of a kind that takes none.
public struct NoArguments: Codable, Sendable, Hashable {
    public init() {}
}

extension JobKind {
    /// Enqueues one job of this kind inside the caller's transaction (with
    /// the rows it is about, so both commit or neither).
    @discardableResult
    public func enqueue(
        _ arguments: Arguments, tenant: String = "", runAt: Date? = nil, parents: [Int64] = [], on conn: isolated PostgresConnection
    ) throws -> EnqueueResult {
        try JobQueue.enqueue(try request(arguments, tenant: tenant, runAt: runAt, parents: parents), on: conn)
    }

    /// Enqueues a chain of kinds that take the same arguments, each waiting
    /// for the one before; returns their ids in order.
    public static func chain(
        _ kinds: [JobKind], _ arguments: Arguments, tenant: String = "", on conn: isolated PostgresConnection
    ) throws -> [Int64] {
        var ids: [Int64] = []
        for kind in kinds {
            ids.append(try kind.enqueue(arguments, tenant: tenant, parents: ids.suffix(1), on: conn).id)
        }
        return ids
    }
}

extension JobQueue {
    /// Enqueues one job of `kind` on a pooled connection.
    @discardableResult
    public func enqueue<Arguments>(_ kind: JobKind<Arguments>, _ arguments: Arguments, tenant: String = "", runAt: Date? = nil) async throws
        -> EnqueueResult
    {
        try await enqueue(try kind.request(arguments, tenant: tenant, runAt: runAt))
    }
}
