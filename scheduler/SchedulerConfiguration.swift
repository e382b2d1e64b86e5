import Foundation

/// How the scheduler runs; the defaults suit one machine and a fleet alike.
public struct SchedulerConfiguration: Sendable {
    /// Seconds between rounds (rescue, promote, periodic jobs).
    public var interval: Double = 1
    /// Seconds a leader's term lasts without renewal; a dead leader is replaced after at most this.
    public var leaderTTL: Double = 5
    /// How long completed jobs are kept before pruning.
    public var completedRetention: Double = 24 * 3600
    /// How long discarded and cancelled jobs are kept (their errors are evidence).
    public var failedRetention: Double = 7 * 24 * 3600
    /// Seconds between pruning rounds (which also make the history's next partitions).
    public var pruneInterval: Double = 60
    /// Days webhook events (and their attempts) are kept: longer than any delivery retries.
    public var webhookEventDays = 30
    /// Seconds of `finalized_at` each history partition holds: retention drops
    /// whole partitions, so a finished job is kept between its retention and
    /// its retention plus this.
    public var historyPartition: Double = 3600
    /// Identifies this scheduler in `reel_leaders`.
    public var id: String

    public init(id: String) { self.id = id }
}
