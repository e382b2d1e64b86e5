import CoreMetrics
import NIOCore
import ReelCatalog
import Synchronization

/// A per-process memory of finished videos' playback entries, for a second:
/// the hottest reads (metadata, playlists and segment lookups of a popular
/// video) then cost a dictionary lookup instead of a Redis round trip and a
/// JSON decode of every segment of every rendition (and, for metadata, the
/// JSON encoding of the answer, which is kept too).
///
/// Only ready videos are kept: they change only when deleted, so a second of
/// memory costs at most two seconds before a deletion made through another API
/// process shows here (this process forgets at once, through ``forget(_:)``).
///
/// When an entry expires, one request reads the catalog again while the
/// others keep being answered from the old entry (for at most one more
/// lifetime), as a cache's stale-while-revalidate does: a popular video would
/// otherwise send every concurrent request to Redis at the same moment, once
/// a second, and those requests make the latency tail.
/// Videos still publishing are never kept: their playlists grow with every
/// segment, and they must become playable the moment the catalog says so.
final class PlaybackMemo: Sendable {
    private struct Entry {
        let playback: Playback
        /// Metadata answers by variant (the edge they point at; "" for none).
        var metadata: [String: ByteBuffer] = [:]
        let expires: ContinuousClock.Instant
        /// Set when a request has gone to refresh the expired entry.
        var refreshing = false
    }

    private let entries = Mutex([String: Entry]())
    private let served = Mutex(0)
    /// The same hits, for `/metrics` (`reel_catalog_reads_total{source="memory"}`).
    private let servedCounter = CatalogReadMetrics().memory
    let lifetime: Duration
    /// Entries kept at most; past it the memory starts again empty (cheap,
    /// and a second's worth of popular videos comes back at once).
    let capacity: Int

    init(lifetime: Duration = .seconds(1), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Reads answered from this memory.
    var hits: Int { served.withLock { $0 } }

    func playback(_ id: String) -> Playback? {
        entry(id)?.playback
    }

    /// The video's metadata answer, as JSON, when it was kept with its entry.
    func metadata(_ id: String, variant: String = "") -> ByteBuffer? {
        entry(id)?.metadata[variant]
    }

    private func entry(_ id: String) -> Entry? {
        let now = ContinuousClock.now
        let found = entries.withLock { entries -> Entry? in
            guard var entry = entries[id] else { return nil }
            if entry.expires > now { return entry }
            if entry.refreshing, now < entry.expires + lifetime { return entry }
            if entry.refreshing {  // the refresh never came back: start again
                entries[id] = nil
                return nil
            }
            entry.refreshing = true
            entries[id] = entry
            return nil
        }
        if found != nil {
            served.withLock { $0 += 1 }
            servedCounter.increment()
        }
        return found
    }

    func remember(_ playback: Playback, metadata: ByteBuffer? = nil, variant: String = "") {
        let id = playback.video.id
        guard playback.video.status == .ready else { return forget(id) }
        let now = ContinuousClock.now
        entries.withLock { entries in
            if var kept = entries[id], kept.expires > now {
                // Keep the entry's lifetime: it started with the catalog read.
                if let metadata, kept.metadata[variant] == nil { kept.metadata[variant] = metadata }
                entries[id] = kept
                return
            }
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[id] = Entry(playback: playback, metadata: metadata.map { [variant: $0] } ?? [:], expires: now + lifetime)
        }
    }

    func forget(_ id: String) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}
