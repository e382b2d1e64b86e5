import CoreMetrics
import Foundation
import Synchronization

/// Job wait and run times by kind and queue, recorded through swift-metrics
/// (the process's backend exports them: `reel_job_wait_seconds` and
/// `reel_job_run_seconds` histograms). The timers are kept per series, so a
/// job costs two lookups, not two trips through the metrics factory.
final class JobMetrics: Sendable {
    private let timers = Mutex([String: CoreMetrics.Timer]())

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        let key = label + dimensions.map { "|\($0.1)" }.joined()
        return timers.withLock { known in
            if let timer = known[key] { return timer }
            let timer = CoreMetrics.Timer(label: label, dimensions: dimensions)
            known[key] = timer
            return timer
        }
    }

    /// How long the job waited between becoming due and being claimed
    /// (both times are the database's, so other hosts' clocks do not enter).
    func claimed(_ job: Job, kind: String) {
        let waited = max(0, (job.attemptedAt ?? job.runAt).timeIntervalSince(job.runAt))
        timer("reel_job_wait_seconds", [("kind", kind), ("queue", job.queue)]).recordSeconds(waited)
    }

    /// How long the handler ran, and how it ended (`completed`, `snoozed`,
    /// `failed` to be retried, `discarded`, `cancelled`).
    func finished(_ job: Job, kind: String, outcome: JobOutcome, after duration: Duration) {
        let ended: String
        switch outcome {
        case .completed: ended = "completed"
        case .snoozed: ended = "snoozed"
        case .failed(_, _, _, _, let permanent): ended = permanent ? "discarded" : "failed"
        case .cancelled: ended = "cancelled"
        }
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        timer("reel_job_run_seconds", [("kind", kind), ("queue", job.queue), ("outcome", ended)]).recordNanoseconds(nanoseconds)
    }
}
