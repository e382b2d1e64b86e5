import Foundation
import Logging
import Synchronization
import ReelPostgres

/// What became of one attempt, waiting to be written back.
enum JobOutcome: Sendable {
    case completed(id: Int64, attempt: Int)
    case failed(id: Int64, attempt: Int, message: String, retryAt: Date, permanent: Bool)
    case snoozed(id: Int64, attempt: Int, until: Date)
    case cancelled(id: Int64, attempt: Int)
}

/// Collects outcomes and writes them in batches: while one flush is in flight
/// the next batch accumulates, so at low load an ack is written at once and at
/// high load thousands go in one round trip (group commit). A flush that fails
/// (database restarting) is kept and retried: no outcome is dropped, and every
/// statement is fenced by attempt, so writing one twice is harmless.
final class Completer: Sendable {
    private let pool: PostgresPool
    private let workerID: String
    private let buffer = Mutex<[JobOutcome]>([])
    private let wakeup = Wakeup()
    private let stopping = Atomic<Bool>(false)

    init(pool: PostgresPool, workerID: String) {
        self.pool = pool
        self.workerID = workerID
    }

    func add(_ outcome: JobOutcome) {
        buffer.withLock { $0.append(outcome) }
        wakeup.signal()
    }

    /// Ends `run()` after a last flush.
    func stop() {
        stopping.store(true, ordering: .releasing)
        wakeup.signal()
    }

    func run(logger: Logger) async {
        var backoff = 0.05
        while true {
            let batch = buffer.withLock { b -> [JobOutcome] in
                defer { b.removeAll(keepingCapacity: true) }
                return b
            }
            if batch.isEmpty {
                if stopping.load(ordering: .acquiring) { return }
                await wakeup.wait(timeout: 1)
                continue
            }
            do {
                try await flush(batch)
                backoff = 0.05
            } catch {
                logger.warning("could not record \(batch.count) job outcomes, retrying", metadata: ["error": "\(error)"])
                buffer.withLock { $0.insert(contentsOf: batch, at: 0) }
                try? await Task.sleep(for: .seconds(backoff))
                backoff = min(backoff * 2, 2)
            }
        }
    }

    private func flush(_ batch: [JobOutcome]) async throws {
        var ids: [Int64] = [], attempts: [Int] = []
        var statements: [PostgresStatement] = []
        for outcome in batch {
            switch outcome {
            case .completed(let id, let attempt):
                ids.append(id)
                attempts.append(attempt)
            case .failed(let id, let attempt, let message, let retryAt, let permanent):
                statements.append(PostgresStatement(
                    "SELECT reel_fail($1, $2, $3, $4, $5::timestamptz, $6)",
                    [id, attempt, workerID, message, retryAt, permanent]))
            case .snoozed(let id, let attempt, let until):
                statements.append(PostgresStatement("SELECT reel_snooze($1, $2, $3::timestamptz)", [id, attempt, until]))
            case .cancelled(let id, let attempt):
                statements.append(PostgresStatement("SELECT reel_finish_cancelled($1, $2)", [id, attempt]))
            }
        }
        if !ids.isEmpty {
            statements.insert(PostgresStatement("SELECT reel_complete($1::bigint[], $2::int[])", [ids, attempts]), at: 0)
        }
        let toRun = statements
        try await pool.withConnection { conn in _ = try await conn.pipeline(toRun) }
    }
}
