import Foundation
import Logging
import ReelCatalog
import ReelPostgres
import ServiceLifecycle
import Synchronization

/// Plays counted by this API process: every master playlist or MPD it
/// answers is a play (edges pass those through uncached for this reason).
/// Kept in memory and added to `video_plays` every couple of seconds, so
/// counting costs a request nothing; popularity warming ranks by these rows.
final class PlayCounter: Service, Sendable {
    private let counts = Mutex([String: Int]())
    let pool: PostgresPool
    let interval: Duration
    let logger: Logger

    init(pool: PostgresPool, interval: Duration = .seconds(2), logger: Logger) {
        self.pool = pool
        self.interval = interval
        self.logger = logger
    }

    func count(_ video: String) {
        counts.withLock { $0[video, default: 0] += 1 }
    }

    /// Writes what was counted since the last flush; on failure the counts
    /// are kept for the next one.
    func flush() async {
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

    func run() async throws {
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
