import Foundation
public import Logging
public import ReelPostgres
public import ServiceLifecycle
import Synchronization
import Tracing

/// Runs jobs from PostgreSQL: a `Service` for a `ServiceGroup`.
///
/// One producer per queue claims jobs in batches (`reel_fetch`, SKIP LOCKED),
/// woken by NOTIFY the moment a job is enqueued, or by polling when
/// notifications are unavailable. Handlers run as tasks; their outcomes are
/// written back in batches by a ``Completer``; a heartbeat renews the leases of
/// running jobs and learns of cancellations. On graceful shutdown it stops
/// claiming, gives running jobs `shutdownTimeout` to finish, then cancels them
/// and releases their leases so another worker takes them at once.
public final class Worker: Service, Sendable {
    private let pool: PostgresPool
    private let handlers: JobHandlers
    private let config: WorkerConfiguration
    private let logger: Logger
    private let metrics = JobMetrics()
    private let running = RunningJobs()
    private let completer: Completer
    private let wakeups: [String: Wakeup]
    private let stopping = Atomic<Bool>(false)

    public init(pool: PostgresPool, handlers: JobHandlers, configuration: WorkerConfiguration, logger: Logger) {
        self.pool = pool
        self.handlers = handlers
        self.config = configuration
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.id)"
        self.logger = logger
        self.completer = Completer(pool: pool, workerID: configuration.id)
        self.wakeups = Dictionary(uniqueKeysWithValues: configuration.queues.keys.map { ($0, Wakeup()) })
    }

    public var id: String { config.id }

    public func run() async throws {
        let schema = try await Self.retrying(logger: logger, what: "read the schema") { [pool] in
            try await pool.query("SELECT current_schema()").single(String.self)
        }
        let listener: PostgresListener? = config.pollOnly ? nil : try await Self.retrying(logger: logger, what: "LISTEN") {
            [pool, config] in
            try await PostgresListener(
                url: config.listenURL ?? pool.url, channels: ["\(schema).reel_jobs", "\(schema).reel_cancel"], setup: config.connectionSetup
            ) { [self] event, session in self.handle(event, session, jobsChannel: "\(schema).reel_jobs") }
        }
        logger.info("worker started", metadata: [
            "queues": "\(config.queues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
            "mode": "\(config.pollOnly ? "poll" : "listen")",
        ])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.completer.run(logger: self.logger) }
                let heartbeat = Task { await self.heartbeatLoop() }
                await withTaskGroup(of: Void.self) { producers in
                    for (queue, limit) in config.queues {
                        let fetchers = limit >= 2 * config.fetchBatch ? 2 : 1
                        for _ in 0..<fetchers { producers.addTask { await self.produce(queue: queue, limit: limit) } }
                    }
                }
                listener?.stop()
                await drain()
                heartbeat.cancel()
                completer.stop()
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        logger.info("worker stopped")
    }

    private func beginShutdown() {
        stopping.store(true, ordering: .releasing)
        for wakeup in wakeups.values { wakeup.signal() }
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    // MARK: Claiming

    /// Claims jobs of one queue while slots are free. Several run per queue
    /// when its limit spans several batches: a fetch is a round trip with row
    /// locks, and two in flight keep both PostgreSQL cores busy.
    private func produce(queue: String, limit: Int) async {
        guard let wakeup = wakeups[queue] else { return }
        // Refill only when a good part of a batch is free (or nothing runs):
        // claiming one job per freed slot costs a round trip per job.
        let refillAt = max(1, min(limit, config.fetchBatch) / 2)
        var backoff = 0.05
        var held = false
        while !isStopping {
            if let reason = config.hold?(queue) {
                if !held { logger.warning("not taking jobs of queue \(queue): \(reason)") }
                held = true
                await wakeup.wait(timeout: config.pollInterval)
                continue
            }
            if held { logger.notice("taking jobs of queue \(queue) again") }
            held = false
            let want = running.reserve(queue: queue, limit: limit, want: config.fetchBatch, atLeast: refillAt)
            if want == 0 {
                await wakeup.wait(timeout: config.pollInterval)
                continue
            }
            let jobs: [Job]
            do {
                jobs = try await fetch(queue: queue, count: want)
                backoff = 0.05
            } catch {
                running.unreserve(queue: queue, want)
                logger.warning("fetch failed, retrying", metadata: ["queue": "\(queue)", "error": "\(error)"])
                await wakeup.wait(timeout: backoff)
                backoff = min(backoff * 2, 2)
                continue
            }
            running.unreserve(queue: queue, want - jobs.count)
            for job in jobs { start(job) }
            if jobs.count < want {
                // The queue ran dry: let another fetcher that is waiting look again later.
                await wakeup.wait(timeout: config.pollInterval)
            }
        }
    }

    static let fetchSQL = "SELECT * FROM reel_fetch($1, $2, $3, $4::interval)"

    private func fetch(queue: String, count: Int) async throws -> [Job] {
        let rows = try await pool.queryPrepared(Self.fetchSQL, [queue, config.id, count, "\(config.lease) seconds"])
        return try Job.all(in: rows)
    }

    // MARK: Running

    private func start(_ job: Job) {
        running.insert(id: job.id, attempt: job.attempt, queue: job.queue)
        let task = Task { await self.execute(job) }
        running.attach(task, to: job.id)
    }

    private func execute(_ job: Job) async {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        let handler = handlers.entry(for: job.kind)
        // A kind no handler knows is anyone's string: one series for all of them.
        let kindLabel = handler == nil ? "unknown" : job.kind
        metrics.claimed(job, kind: kindLabel)
        let started = ContinuousClock.now
        let outcome: JobOutcome
        if let entry = handler {
            let context = JobContext(job: job, workerID: config.id, logger: logger)
            do {
                // A span per attempt, in the trace of whatever enqueued the job (its meta).
                let result = try await withSpan(job.kind, context: JobTraceContext.context(of: job), ofKind: .consumer) { span in
                    span.attributes["reel.job.id"] = Int(job.id)
                    span.attributes["reel.job.queue"] = job.queue
                    span.attributes["reel.job.attempt"] = job.attempt
                    return try await entry.run(kind: job.kind, context)
                }
                switch result {
                case .completed: outcome = .completed(id: job.id, attempt: job.attempt)
                case .snooze(let seconds):
                    outcome = .snoozed(id: job.id, attempt: job.attempt, until: Date().addingTimeInterval(seconds))
                }
            } catch {
                outcome = failure(job, error)
            }
        } else {
            outcome = .failed(
                id: job.id, attempt: job.attempt,
                message: "unknown job kind '\(job.kind)': no handler on worker \(config.id) (it knows \(handlers.kinds.joined(separator: ", "))); submit a known kind or run a worker that has this handler",
                retryAt: Date(), permanent: true)
        }
        metrics.finished(job, kind: kindLabel, outcome: outcome, after: ContinuousClock.now - started)
        let (found, reason) = running.remove(job.id)
        wakeups[job.queue]?.signal()
        guard found else { return }
        switch reason {
        case .cancelRequested?:
            // Whatever the handler did, the operator asked for a stop.
            if case .completed = outcome { completer.add(outcome) } else {
                completer.add(.cancelled(id: job.id, attempt: job.attempt))
            }
        case .leaseLost?, .shutdown?:
            // Someone else owns the job now, or the lease was handed back.
            break
        case nil:
            if case .failed(_, _, let message, _, let permanent) = outcome {
                logger.warning("job failed", metadata: ["error": "\(message)", "permanent": "\(permanent)"])
            }
            completer.add(outcome)
        }
    }

    private func failure(_ job: Job, _ error: any Error) -> JobOutcome {
        if let failure = error as? JobFailure {
            return .failed(id: job.id, attempt: job.attempt, message: failure.description, retryAt: Date(), permanent: true)
        }
        let message = error is CancellationError ? "the handler was cancelled" : "\(error)"
        let delay = (handlers.retry(for: job.kind) ?? config.retry).delay(afterAttempt: job.attempt)
        return .failed(id: job.id, attempt: job.attempt, message: message, retryAt: Date().addingTimeInterval(delay), permanent: false)
    }

    // MARK: Notifications, heartbeats, shutdown

    /// Runs on the listener's thread. A notification of new work is answered
    /// by claiming right there on the listening session when slots are free:
    /// no hop to a producer task and another connection's thread, which is
    /// most of the latency left once the enqueue has committed.
    private func handle(_ event: PostgresListener.Event, _ session: borrowing ListenerSession, jobsChannel: String) {
        switch event {
        case .notification(let n) where n.channel == jobsChannel:
            guard let wakeup = wakeups[n.payload], let limit = config.queues[n.payload] else { return }
            let want = isStopping ? 0 : running.reserve(queue: n.payload, limit: limit, want: config.fetchBatch, atLeast: 1)
            guard want > 0 else { return wakeup.signal() }
            do {
                let jobs = try Job.all(in: try session.query(Self.fetchSQL, [n.payload, config.id, want, "\(config.lease) seconds"]))
                running.unreserve(queue: n.payload, want - jobs.count)
                for job in jobs { start(job) }
                if jobs.count == want { wakeup.signal() }
            } catch {
                running.unreserve(queue: n.payload, want)
                wakeup.signal()
            }
        case .notification(let n):
            if let id = Int64(n.payload), running.stop(id, reason: .cancelRequested) {
                logger.info("cancelling job at an operator's request", metadata: ["job": "\(id)"])
            }
        case .reconnected:
            for wakeup in wakeups.values { wakeup.signal() }
        }
    }

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(config.heartbeatInterval))
            if Task.isCancelled { return }
            let held = running.snapshot
            if held.isEmpty { continue }
            do {
                let rows = try await pool.queryPrepared(
                    "SELECT id, cancel_requested FROM reel_heartbeat($1::bigint[], $2::int[], $3::interval)",
                    [held.map(\.id), held.map(\.attempt), "\(config.lease) seconds"])
                var kept = Set<Int64>()
                for row in rows {
                    let id = try row.decode(Int64.self, 0)
                    kept.insert(id)
                    if try row.decode(Bool.self, 1) { running.stop(id, reason: .cancelRequested) }
                }
                for job in held where !kept.contains(job.id) {
                    // Finished meanwhile, or rescued and given to another worker.
                    if running.stop(job.id, reason: .leaseLost) {
                        logger.warning("lost the lease of a running job; stopping it", metadata: ["job": "\(job.id)"])
                    }
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Waits for running jobs up to the shutdown timeout, then stops the rest
    /// and hands their leases back.
    private func drain() async {
        let deadline = ContinuousClock.now + .seconds(config.shutdownTimeout)
        while running.count > 0, ContinuousClock.now < deadline {
            let left = Double((deadline - ContinuousClock.now).components.seconds) + 0.05
            await running.drained.wait(timeout: min(0.1, max(0.01, left)))
        }
        let leftover = running.snapshot
        guard !leftover.isEmpty else { return }
        logger.warning("shutdown timeout reached; releasing \(leftover.count) running jobs")
        for job in leftover { running.stop(job.id, reason: .shutdown) }
        do {
            _ = try await pool.query("SELECT reel_release($1::bigint[], $2::int[])", [leftover.map(\.id), leftover.map(\.attempt)])
        } catch {
            logger.error("could not release leases; they expire in \(config.lease) s", metadata: ["error": "\(error)"])
        }
    }

    static func retrying<T: Sendable>(logger: Logger, what: String, _ body: @Sendable () async throws -> T) async throws -> T {
        var delay = 0.1
        while true {
            do {
                return try await body()
            } catch let error as PostgresError where error.isConnectionProblem {
                logger.warning("cannot \(what) yet; database unavailable, retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 5)
            }
        }
    }
}

