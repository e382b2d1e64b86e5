public import Foundation

/// What the API needs to know beyond its dependencies.
public struct APIConfiguration: Sendable {
    /// Largest upload accepted, in bytes.
    public var maxUploadBytes: Int64
    /// The region this API instance is in: reads try it first.
    public var nearestRegion: String?
    /// Where uploads are spooled while they arrive and are hashed.
    public var spool: URL

    public init(maxUploadBytes: Int64 = 2 << 30, nearestRegion: String? = nil, spool: URL) {
        self.maxUploadBytes = maxUploadBytes
        self.nearestRegion = nearestRegion
        self.spool = spool
    }
}
