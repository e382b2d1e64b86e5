import Foundation
import Hummingbird
import Logging
import ReelRedis
import Synchronization

/// Each token's new uploads a minute, counted in Redis so every API
/// instance shares one count (a fixed one-minute window, as GitHub's and
/// Stripe's per-key limits are). When Redis is down uploads are let
/// through and the failure is logged: a cache outage should not stop
/// publishing. Without Redis (an API with no cache) each instance counts
/// on its own.
final class UploadRateLimit: Sendable {
    let redis: RedisPool?
    let logger: Logger
    private let local = Mutex([String: Int64]())

    init(redis: RedisPool?, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    /// Counts one upload for `caller`, or throws a 429 with Retry-After when
    /// its minute is used up.
    func admit(_ caller: Caller, now: Date = Date()) async throws {
        guard let limit = caller.uploadsPerMinute, let id = caller.counterKey ?? caller.tokenID.map(String.init) else { return }
        let minute = Int64(now.timeIntervalSince1970) / 60
        let key = "reel:uploads:\(id):\(minute)"
        let count: Int64
        if let redis {
            count = await shared(key, redis: redis, caller: caller) ?? 0
        } else {
            count = local.withLock { counts in
                counts = counts.filter { $0.key.hasSuffix(":\(minute)") }
                counts[key, default: 0] += 1
                return counts[key] ?? 0
            }
        }
        guard count <= Int64(limit) else {
            let retryAfter = max(1, 60 - Int(now.timeIntervalSince1970) % 60)
            var error = APIError(
                .tooManyRequests, "rate_limited",
                "token '\(caller.name)' may start \(limit) uploads a minute; try again in \(retryAfter) s, or ask for a token with a higher --uploads-per-minute")
            error.headers[.retryAfter] = "\(retryAfter)"
            throw error
        }
    }

    /// The count after this upload in Redis, or nil when Redis failed (logged; the upload goes ahead).
    private func shared(_ key: String, redis: RedisPool, caller: Caller) async -> Int64? {
        do {
            let replies = try await redis.pipeline([RedisCommand("INCR", .string(key)), RedisCommand("EXPIRE", .string(key), .string("120"))])
            guard case .integer(let value) = replies.first else { return nil }
            return value
        } catch {
            logger.warning("upload rate limit not checked: Redis failed", metadata: ["token": "\(caller.name)", "error": "\(error)"])
            return nil
        }
    }
}
