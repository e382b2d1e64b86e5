public import CoreMetrics

/// `reel_catalog_reads_total{source}`: where playback metadata reads were
/// answered from, through swift-metrics. Made when their owner is (after the
/// process bootstrapped its metrics backend), so a read costs one increment.
public struct CatalogReadMetrics: Sendable {
    /// The API's in-memory copy of a finished video.
    public let memory: Counter
    /// Redis had the entry.
    let cache: Counter
    /// Redis had the entry "no such video".
    let cacheAbsent: Counter
    /// Redis missed; PostgreSQL answered and the entry was stored.
    let databaseAfterMiss: Counter
    /// Redis failed; PostgreSQL answered.
    let databaseRedisDown: Counter

    public init() {
        func counter(_ source: String) -> Counter { Counter(label: "reel_catalog_reads_total", dimensions: [("source", source)]) }
        memory = counter("memory")
        cache = counter("cache")
        cacheAbsent = counter("cache_absent")
        databaseAfterMiss = counter("database_after_miss")
        databaseRedisDown = counter("database_redis_down")
    }
}
