import Foundation
public import Logging

/// What a handler gets: the job and a way to say it is alive.
public struct JobContext: Sendable {
    public let job: Job
    public let workerID: String
    public let logger: Logger

    /// Decodes the job's arguments; a mismatch fails the job permanently.
    public func args<T: Decodable>(_ type: T.Type = T.self) throws -> T { try job.decodeArgs(T.self) }
}

/// How a handler finished, when it did not throw.
public enum JobResult: Sendable, Hashable {
    case completed
    /// Try again later without spending an attempt (waiting for an upstream).
    case snooze(seconds: Double)
}

/// The code that runs jobs of one kind.
///
/// Throw ``JobFailure/permanent(_:)`` when retrying cannot help (a corrupt
/// video); any other error is retried with backoff until `max_attempts`.
/// Long handlers should check `Task.isCancelled` (or call
/// `Task.checkCancellation()`) now and then: a cancelled job, a lost lease and
/// a shutdown past its timeout all arrive as Task cancellation.
public typealias JobHandler = @Sendable (JobContext) async throws -> JobResult

/// The handlers a worker can run, by kind.
public struct JobHandlers: Sendable {
    private var handlers: [String: JobHandler] = [:]

    public init() {}

    public mutating func register(_ kind: String, _ handler: @escaping JobHandler) {
        handlers[kind] = handler
    }

    public func handler(for kind: String) -> JobHandler? { handlers[kind] }

    /// Every registered kind, sorted (for error messages and `reel submit`).
    public var kinds: [String] { handlers.keys.sorted() }
}
