/// Where a job is in its life; the names are the values of `reel_jobs.state`.
///
/// `pending` → `available`/`scheduled` → `running` → `completed`, or
/// `retryable` (back to `available` after a backoff), `discarded` (attempts
/// spent or failed permanently) or `cancelled`. docs/job-lifecycle.md draws it.
public enum JobState: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case pending, available, scheduled, running, completed, retryable, discarded, cancelled

    /// Finished for good: the job will not run again unless retried by hand.
    public var isFinal: Bool { self == .completed || self == .discarded || self == .cancelled }

    public var description: String { rawValue }
}
