import CoreMetrics
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
    /// The same reads, for the process's `/metrics`.
    private let metrics = CatalogReadMetrics()

    /// How long an API that reads a standby keeps a finished video in its region's
    /// Redis: the primary's region cannot invalidate it, so its entries expire soon.
    public static let standbyFinishedTTL: Duration = .seconds(15)

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
    /// How many times the entry was invalidated: a read that missed stores
    /// what it found only if no invalidation came in between (see ``store``).
    static func generationKey(_ id: String) -> String { "reel:playback:\(id):gen" }
    static let absent: [UInt8] = Array("null".utf8)

    enum Lookup {
        case hit(Playback?)
        /// Not cached; `generation` is the entry's invalidation count as the read saw it.
        case miss(generation: [UInt8])
        case unavailable
    }

    func lookup(_ id: String) async -> Lookup {
        do {
            let found = try await redis.mget([Self.key(id), Self.generationKey(id)])
            guard let bytes = found.first ?? nil else { return .miss(generation: (found.count > 1 ? found[1] : nil) ?? []) }
            if bytes == Self.absent {
                counts.withLock { $0.negativeHits += 1 }
                metrics.cacheAbsent.increment()
                return .hit(nil)
            }
            let playback = try JSONDecoder().decode(Playback.self, from: Data(bytes))
            counts.withLock { $0.hits += 1 }
            metrics.cache.increment()
            return .hit(playback)
        } catch let error as RedisError where error.code == .unavailable {
            counts.withLock { $0.fallbacks += 1 }
            metrics.databaseRedisDown.increment()
            return .unavailable
        } catch {
            // An entry Reel cannot read (an older format): a miss that may not refill it.
            return .miss(generation: Array("unreadable".utf8))
        }
    }

    /// Stores what a missed read found in Postgres, unless the entry was
    /// invalidated since the read began (its generation moved): otherwise a
    /// read that raced a write (read the old row, then stored it after the
    /// writer's invalidation) would serve the old state for a whole TTL, as
    /// a video's "publishing" playlists right after it became ready.
    func store(_ id: String, _ playback: Playback?, generation: [UInt8]) async {
        counts.withLock { $0.misses += 1 }
        metrics.databaseAfterMiss.increment()
        do {
            let value: [UInt8]
            let ttl: Duration
            if let playback {
                let finished = playback.video.status == .ready || playback.video.status == .failed
                value = Array(try JSONEncoder().encode(playback))
                ttl = finished ? finishedTTL : publishingTTL
            } else {
                value = Self.absent
                ttl = negativeTTL
            }
            let milliseconds = max(1, ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
            _ = try await redis.command(
                "EVAL", .string(Self.storeUnlessInvalidated), "2", .string(Self.key(id)), .string(Self.generationKey(id)),
                .bytes(value), .bytes(generation), .integer(milliseconds))
        } catch {
            // The next read tries again; Postgres has the truth.
        }
    }

    static let storeUnlessInvalidated = """
        if (redis.call('GET', KEYS[2]) or '') == ARGV[2] then
          return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
        end
        return 0
        """

    /// Forgets a video's entry (it changed, was created or was deleted) and
    /// moves its generation first, so a read in flight cannot put it back.
    public func invalidate(_ id: String) async {
        _ = try? await redis.pipeline([
            RedisCommand("INCR", .string(Self.generationKey(id))),
            RedisCommand("EXPIRE", .string(Self.generationKey(id)), "86400"),
            RedisCommand("DEL", .string(Self.key(id))),
        ])
    }
}
