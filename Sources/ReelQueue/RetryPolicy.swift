import Foundation

/// When a failed job runs again: exponential backoff with jitter.
///
/// Attempt n waits about `base * 2^(n-1)`, capped at `maximum`, then scaled by
/// a random factor in `1 ± jitter` so a burst of failures (a store outage) does
/// not come back as a synchronised burst of retries. Pure, so it is unit-tested.
public struct RetryPolicy: Sendable, Hashable {
    public var base: Double
    public var maximum: Double
    public var jitter: Double

    public init(base: Double = 1, maximum: Double = 3600, jitter: Double = 0.2) {
        precondition(base > 0 && maximum >= base && jitter >= 0 && jitter < 1, "invalid retry policy")
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }

    /// Seconds to wait after failed attempt `attempt` (1-based); `random` in 0..<1.
    public func delay(afterAttempt attempt: Int, random: Double) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 62)))
        let raw = min(maximum, base * pow(2, exponent))
        return raw * (1 - jitter + 2 * jitter * random)
    }

    public func delay(afterAttempt attempt: Int) -> Double {
        delay(afterAttempt: attempt, random: Double.random(in: 0..<1))
    }
}
