import Foundation
public import Logging
import ReelCatalog
public import ReelPostgres
public import ServiceLifecycle
import Synchronization

/// Plays counted where viewers ask for them: a master playlist or an MPD
/// answered is a play. An edge's agent counts what its edge served (cached
/// or not) from the edge's log; an API counts what viewers asked it
/// directly, never an edge's fetch. Kept in memory and added to
/// `video_plays` every couple of seconds, so counting costs a request
/// nothing; popularity warming ranks by these rows.
public final class PlayCounter: Service, Sendable {
    private let counts = Mutex([String: Int]())
    let pool: PostgresPool
    let interval: Duration
    let logger: Logger

    /// Videos counted but not yet written, at most: past it (a database away
    /// for long) new videos' plays are dropped and logged, so memory stays bounded.
    let maxVideos: Int

    public init(pool: PostgresPool, interval: Duration = .seconds(2), maxVideos: Int = 100_000, logger: Logger) {
        self.maxVideos = maxVideos
        self.pool = pool
        self.interval = interval
        self.logger = logger
    }

    public func count(_ video: String, plays: Int = 1) {
        let kept = counts.withLock { current -> Bool in
            guard current[video] != nil || current.count < maxVideos else { return false }
            current[video, default: 0] += plays
            return true
        }
        if !kept { logger.warning("too many videos' plays waiting to be written; dropped", metadata: ["video": "\(video)"]) }
    }

    /// Writes what was counted since the last flush; on failure the counts
    /// are kept for the next one.
    public func flush() async {
        let taken = counts.withLock { current -> [String: Int] in
            defer { current.removeAll(keepingCapacity: true) }
            return current
        }
        guard !taken.isEmpty else { return }
        do {
            try await Catalog(pool: pool).addPlays(taken)
        } catch {
            logger.warning("cannot record plays; kept for the next try", metadata: ["error": "\(error)"])
            counts.withLock { current in
                for (video, plays) in taken { current[video, default: 0] += plays }
            }
        }
    }

    public func run() async throws {
        let interval = self.interval
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await flush()
            }
        }
        await flush()
    }
}
