import Foundation
public import Logging
import ReelThreads

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

/// The handlers a worker can run, by kind, with each kind's backoff and time limit.
public struct JobHandlers: Sendable {
    struct Entry: Sendable {
        let handler: JobHandler
        let retry: RetryPolicy?
        let timeout: Duration?
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Registers the handler of a declared kind: it receives the decoded
    /// arguments (arguments that do not decode fail the job permanently), and
    /// the worker applies the kind's backoff and time limit.
    public mutating func register<Arguments>(
        _ kind: JobKind<Arguments>, _ handler: @escaping @Sendable (Arguments, JobContext) async throws -> JobResult
    ) {
        entries[kind.name] = Entry(
            handler: { context in try await handler(try context.args(Arguments.self), context) }, retry: kind.retry, timeout: kind.timeout)
    }

    /// Registers a handler for a kind known only by name: for a benchmark's or
    /// a test's own kinds. Reel's kinds are declared as ``JobKind``s.
    public mutating func register(_ kind: String, _ handler: @escaping JobHandler) {
        entries[kind] = Entry(handler: handler, retry: nil, timeout: nil)
    }

    public func handler(for kind: String) -> JobHandler? { entries[kind]?.handler }

    /// The kind's own backoff, if it declared one.
    public func retry(for kind: String) -> RetryPolicy? { entries[kind]?.retry }

    /// How long one attempt of the kind may run, if it is limited.
    public func timeout(for kind: String) -> Duration? { entries[kind]?.timeout }

    /// Every registered kind, sorted (for error messages and `reel submit`).
    public var kinds: [String] { entries.keys.sorted() }
}

/// An attempt ran past its kind's time limit (``JobKind/timeout``): it was
/// cancelled and fails; it is retried while attempts remain.
public struct JobTimedOut: Error, CustomStringConvertible {
    public let kind: String
    public let limit: Duration

    public var description: String {
        let seconds = limit.seconds
        return "the \(kind) job ran past its time limit of \(seconds.formatted(.number.precision(.fractionLength(0...3)))) s and was stopped; "
            + "it is retried while attempts remain"
    }
}

extension JobHandlers {
    /// The kind's handler with its limits, in one lookup (the worker's path per job).
    func entry(for kind: String) -> Entry? { entries[kind] }
}

extension JobHandlers.Entry {
    /// Runs the handler, cancelled when the kind's time limit passes first.
    func run(kind: String, _ context: JobContext) async throws -> JobResult {
        guard let limit = timeout else { return try await handler(context) }
        let handler = self.handler
        return try await withThrowingTaskGroup(of: JobResult?.self) { group in
            group.addTask { try await handler(context) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw JobTimedOut(kind: kind, limit: limit) }
            return result
        }
    }
}
