import Foundation
import HTTPTypes
import ReelEdge
import ReelPostgres

/// The API's view of the edges, read from the catalog at most every couple
/// of seconds (``Reloading``): which edge a viewer's playback URLs point at.
final class EdgeFleet: Sendable {
    private let edges: Reloading<[Edge]>

    init(pool: PostgresPool, lifetime: Duration = .seconds(2)) {
        edges = Reloading([], lifetime: lifetime) { try await EdgeDirectory(pool: pool).all() }
    }

    /// The edge for a viewer with this region hint, or nil for the origin.
    func nearest(region: String?) async -> Edge? {
        guard let region, !region.isEmpty else { return nil }
        return Edge.nearest(await edges.value(), region: region)
    }
}

extension HTTPField.Name {
    /// A viewer's region, for choosing the edge in playback URLs (or `?region=`).
    static let reelRegion = HTTPField.Name("X-Reel-Region") ?? .via
}
