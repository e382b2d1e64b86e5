public import Foundation
public import ReelPipeline
public import ReelCatalog
public import ReelEdge

/// How much uploading one token or tenant may have in progress, how long an
/// unfinished upload lives, and how much disk must stay free.
public struct UploadPolicy: Sendable {
    public var perToken = Uploads.Quota(openUploads: 20, bytesInFlight: 20 << 30)
    public var perTenant = Uploads.Quota(openUploads: 200, bytesInFlight: 200 << 30)
    /// Seconds an unfinished resumable upload lives (`Upload-Expires`).
    public var expirySeconds: Double = 24 * 3600
    /// Seconds a one-shot upload's row counts against the quotas if its API
    /// instance dies before it ends.
    public var oneShotExpirySeconds: Double = 3600
    /// Bytes that must stay free on the spool's filesystem; below, uploads get 507.
    public var minimumFreeBytes: Int64 = 256 << 20

    public init() {}
}

/// What the API needs to know beyond its dependencies.
public struct APIConfiguration: Sendable {
    /// Largest upload accepted, in bytes.
    public var maxUploadBytes: Int64
    /// The region this API instance is in: reads try it first.
    public var nearestRegion: String?
    /// Where uploads are spooled while they arrive and are hashed.
    public var spool: URL
    /// Where Video.js's files are (video.min.js, video-js.min.css), for the player page.
    public var playerDirectory: URL?
    /// The bootstrap token: every scope, from the environment rather than the
    /// catalog, so a new install can be run (and make tokens) before any exists.
    public var adminToken: String?
    /// The viewers' region when a request gives no hint (`?region=` or
    /// `X-Reel-Region`): playback URLs point at an edge of that region.
    public var edgeRegion: String?
    /// Whether uploads without a token are accepted (a private network, the
    /// demo). Off by default: uploads need a token with the `upload` scope.
    public var openUploads: Bool
    /// With a signer, playback needs signed URLs (`exp` and `sig`); nil leaves playback public.
    public var playbackSigner: PlaybackSigner?
    /// Largest body of a request that is not an upload (a dashboard form), in bytes.
    public var maxFormBytes: Int
    /// Timeouts and caps against slow and numerous clients.
    public var server: ServerLimits
    /// Quotas, expiry and the free-space guard of uploads.
    public var uploads: UploadPolicy
    /// Web pages on other origins that may call the API (none by default).
    public var cors: CORSPolicy
    /// The API's address as clients outside reach it (`https://video.example.com`),
    /// for the URLs it hands out to be used elsewhere (direct uploads); nil:
    /// the address the asking request used.
    public var publicURL: String? = nil
    /// Where webhook endpoints may point (`REEL_WEBHOOK_ALLOW_NETWORKS`): checked when one is registered.
    public var webhookAddresses = WebhookAddressPolicy()

    public init(
        maxUploadBytes: Int64 = 2 << 30, nearestRegion: String? = nil, spool: URL, playerDirectory: URL? = nil, adminToken: String? = nil,
        edgeRegion: String? = nil, openUploads: Bool = false, playbackSigner: PlaybackSigner? = nil, maxFormBytes: Int = 64 << 10,
        server: ServerLimits = ServerLimits(), uploads: UploadPolicy = UploadPolicy(), cors: CORSPolicy = CORSPolicy(origins: [])
    ) {
        self.cors = cors
        self.server = server
        self.uploads = uploads
        self.openUploads = openUploads
        self.playbackSigner = playbackSigner
        self.maxFormBytes = maxFormBytes
        self.edgeRegion = edgeRegion
        self.adminToken = adminToken
        self.maxUploadBytes = maxUploadBytes
        self.nearestRegion = nearestRegion
        self.spool = spool
        self.playerDirectory = playerDirectory
    }

    /// Video.js from `$REEL_PLAYER_DIR`, else from the venv `scripts/services/install-player.sh` makes in `root`.
    public static func findPlayer(root: URL, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let explicit = environment["REEL_PLAYER_DIR"] { return URL(fileURLWithPath: explicit) }
        let lib = root.appendingPathComponent(".venv-player/lib")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []).filter { $0.hasPrefix("python3") }.sorted()
        for version in versions.reversed() {
            let folder = lib.appendingPathComponent(version).appendingPathComponent("site-packages/js/videojs/resources")
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("video.min.js").path) { return folder }
        }
        return nil
    }
}
