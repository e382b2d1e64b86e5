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
    /// Seconds between pruning rounds.
    public var pruneInterval: Double = 60
    /// Identifies this scheduler in `reel_leaders`.
    public var id: String

    public init(id: String) { self.id = id }
}
