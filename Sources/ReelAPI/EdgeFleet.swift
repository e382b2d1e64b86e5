import Foundation
import HTTPTypes
import ReelEdge
import ReelPostgres

/// The API's view of the edges, read from the catalog at most every couple
/// of seconds (``Reloading``): which edge a viewer's playback URLs point at.
/// Each reload also asks every edge the catalog calls healthy whether it
/// answers, as a load balancer's active health check does, so viewers stop
/// being sent to an edge that died within seconds, not when a worker next
/// notices.
final class EdgeFleet: Sendable {
    private let edges: Reloading<[Edge]>

    init(pool: PostgresPool, lifetime: Duration = .seconds(2)) {
        edges = Reloading([], lifetime: lifetime) {
            let listed = try await EdgeDirectory(pool: pool).all()
            let client = EdgeClient(token: "")
            return await withTaskGroup(of: (Int, Bool).self) { group in
                for (index, edge) in listed.enumerated() where edge.enabled && edge.healthy {
                    group.addTask { (index, await client.check(edge, timeout: .seconds(1))) }
                }
                var checked = listed
                for await (index, answers) in group where !answers {
                    let edge = listed[index]
                    checked[index] = Edge(name: edge.name, region: edge.region, url: edge.url, capacityBytes: edge.capacityBytes,
                                          statsWorkdir: edge.statsWorkdir, enabled: edge.enabled, healthy: false)
                }
                return checked
            }
        }
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
