import Foundation
import HTTPTypes
import Logging
import ReelEdge
import ReelPostgres
import Synchronization

/// The API's view of the edges, read from the catalog at most every few
/// seconds: which edge a viewer's playback URLs point at. A request never
/// waits on the database for it (one request reloads while the others use
/// the list they have), and a failed reload keeps the last list.
final class EdgeFleet: Sendable {
    private struct State {
        var edges: [Edge] = []
        var loadedAt: ContinuousClock.Instant?
        var loading = false
    }

    private let state = Mutex(State())
    let pool: PostgresPool
    let lifetime: Duration

    init(pool: PostgresPool, lifetime: Duration = .seconds(2)) {
        self.pool = pool
        self.lifetime = lifetime
    }

    /// The edge for a viewer with this region hint, or nil for the origin.
    func nearest(region: String?) async -> Edge? {
        guard let region, !region.isEmpty else { return nil }
        return Edge.nearest(await edges(), region: region)
    }

    func edges() async -> [Edge] {
        let now = ContinuousClock.now
        let (current, reload) = state.withLock { s -> ([Edge], Bool) in
            let stale = s.loadedAt.map { now - $0 > lifetime } ?? true
            if stale && !s.loading {
                s.loading = true
                return (s.edges, true)
            }
            return (s.edges, false)
        }
        guard reload else { return current }
        let fresh = try? await EdgeDirectory(pool: pool).all()
        return state.withLock { s in
            s.loading = false
            s.loadedAt = ContinuousClock.now
            if let fresh { s.edges = fresh }
            return s.edges
        }
    }
}

extension HTTPField.Name {
    /// A viewer's region, for choosing the edge in playback URLs (or `?region=`).
    static let reelRegion = HTTPField.Name("X-Reel-Region") ?? .via
}
