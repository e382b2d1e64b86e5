import CoreMetrics
import Foundation
import ReelQueue

/// `reel_queue_depth{queue,state}` and `reel_queue_oldest_waiting_seconds{queue}`
/// for Prometheus, from the same summary `reel queues` prints. The leading
/// scheduler sets them, so the cluster's queue depth is one series per queue,
/// not one per process; a scheduler that stops leading clears its own.
final class QueueGauges: Sendable {
    private static let states = ["pending", "available", "scheduled", "running", "retryable"]

    func update(_ summaries: [QueueSummary]) {
        for summary in summaries {
            let counts = summary.byState
            for state in Self.states {
                let count = JobState(rawValue: state).flatMap { counts[$0] } ?? 0
                Gauge(label: "reel_queue_depth", dimensions: [("queue", summary.name), ("state", state)]).record(count)
            }
            Gauge(label: "reel_queue_oldest_waiting_seconds", dimensions: [("queue", summary.name)])
                .record(summary.oldestAvailableSeconds ?? 0)
        }
    }

    /// No longer leading: another scheduler's figures are the ones to read.
    func clear(_ queues: [String]) {
        for queue in queues {
            for state in Self.states { Gauge(label: "reel_queue_depth", dimensions: [("queue", queue), ("state", state)]).record(0) }
            Gauge(label: "reel_queue_oldest_waiting_seconds", dimensions: [("queue", queue)]).record(0)
        }
    }
}
