import Foundation
public import ReelRedis
import Synchronization

/// Redis in front of the catalog's playback reads (cache-aside): a read
/// tries Redis, falls back to Postgres on a miss and stores what it found;
/// unknown ids are cached too, briefly, so a flood of bad ids does not reach
/// Postgres. Writes that change a video delete its entry. When Redis is down
/// every read goes to Postgres and `fallbacks` counts it: clients never see
/// an error for it.
public final class CatalogCache: Sendable {
    public let redis: RedisPool
    /// How long a finished (ready or failed) video's entry lives.
    public let finishedTTL: Duration
    /// How long a video still being published stays cached: short, since its
    /// playlists grow with every segment.
    public let publishingTTL: Duration
    /// How long "no such video" is remembered.
    public let negativeTTL: Duration
    private let counts = Mutex(CacheCounts())

    public init(redis: RedisPool, finishedTTL: Duration = .seconds(3600), publishingTTL: Duration = .seconds(1),
                negativeTTL: Duration = .seconds(10)) {
        self.redis = redis
        self.finishedTTL = finishedTTL
        self.publishingTTL = publishingTTL
        self.negativeTTL = negativeTTL
    }

    /// Reads served from the cache, from Postgres after a miss, as a cached
    /// "no such video", and from Postgres because Redis failed.
    public struct CacheCounts: Sendable, Hashable {
        public var hits = 0
        public var misses = 0
        public var negativeHits = 0
        public var fallbacks = 0

        public init() {}
    }

    public var snapshot: CacheCounts { counts.withLock { $0 } }

    static func key(_ id: String) -> String { "reel:playback:\(id)" }
    static let absent: [UInt8] = Array("null".utf8)

    enum Lookup {
        case hit(Playback?)
        case miss
        case unavailable
    }

    func lookup(_ id: String) async -> Lookup {
        do {
            guard let bytes = try await redis.get(Self.key(id)) else { return .miss }
            if bytes == Self.absent {
                counts.withLock { $0.negativeHits += 1 }
                return .hit(nil)
            }
            let playback = try JSONDecoder().decode(Playback.self, from: Data(bytes))
            counts.withLock { $0.hits += 1 }
            return .hit(playback)
        } catch let error as RedisError where error.code == .unavailable {
            counts.withLock { $0.fallbacks += 1 }
            return .unavailable
        } catch {
            // An entry Reel cannot read (an older format): treat as a miss.
            return .miss
        }
    }

    func store(_ id: String, _ playback: Playback?) async {
        counts.withLock { $0.misses += 1 }
        do {
            guard let playback else { return try await redis.set(Self.key(id), Self.absent, ttl: negativeTTL) }
            let finished = playback.video.status == .ready || playback.video.status == .failed
            try await redis.set(Self.key(id), Array(try JSONEncoder().encode(playback)), ttl: finished ? finishedTTL : publishingTTL)
        } catch {
            // The next read tries again; Postgres has the truth.
        }
    }

    /// Forgets a video's entry (it changed, was created or was deleted).
    public func invalidate(_ id: String) async {
        _ = try? await redis.delete(Self.key(id))
    }
}
