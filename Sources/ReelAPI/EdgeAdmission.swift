import Foundation
import HTTPTypes
import ReelCatalog
import ReelEdge
import ReelPostgres

/// Which objects an edge should keep: the origin's say in its cache. An
/// edge's fetch carries its name (`X-Reel-Edge`, set by the VCL); an object
/// of a video that is neither among the videos the last `edge.popular` run
/// chose for that edge nor new (ready within the last hour: what
/// warm-on-publish put there) is answered with `X-Reel-Edge-Admit: no`, and
/// the edge passes it on without keeping it. The long tail then cannot evict
/// what viewers come back for. An edge with no ranking yet keeps everything.
/// Read from the catalog at most every few seconds (``Reloading``).
final class EdgeAdmission: Sendable {
    private let sets: Reloading<[String: Set<String>]>
    /// How long a new video is kept whatever its plays.
    let newFor: TimeInterval

    init(pool: PostgresPool, lifetime: Duration = .seconds(5), newFor: TimeInterval = 3600) {
        sets = Reloading([:], lifetime: lifetime) { try await EdgeRecords(pool: pool).popularSets() }
        self.newFor = newFor
    }

    /// False when `edge` should not keep objects of `video`.
    func admits(edge: String?, video: Video) async -> Bool {
        guard let edge, !edge.isEmpty else { return true }
        if let ready = video.readyAt ?? video.playableAt, Date().timeIntervalSince(ready) < newFor { return true }
        guard let chosen = await sets.value()[edge], !chosen.isEmpty else { return true }
        return chosen.contains(video.id)
    }
}

extension HTTPField.Name {
    /// The edge a request comes from (set by the VCL on its fetches).
    static let reelEdge = HTTPField.Name("X-Reel-Edge") ?? .via
    /// "no": the edge should pass the object on without keeping it.
    static let reelEdgeAdmit = HTTPField.Name("X-Reel-Edge-Admit") ?? .via
    /// RFC 9530 §3: the digest of the selected representation, whatever range was sent.
    static let reprDigest = HTTPField.Name("Repr-Digest") ?? .via
}
