import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import ReelPipeline
import ReelAPI
import ReelCatalog
import ReelEdge
import ReelMedia
import ReelManifests
import ReelPostgres
import ReelQueue
import ReelRedis
import ReelStore
import ReelTesting
import ReelWorkers
import Synchronization

/// The API on a free loopback port, a worker publishing what it receives,
/// and two file-store regions; stopped by `stop()`.
struct APIHarness {
    let db: TestDatabase
    let regions: Regions
    let base: String
    private let services: ServiceHarness

    let catalog: Catalog
    /// The API's spool folder (resumable uploads wait here as `resumable-ID`).
    let spool: URL
    let api: ReelAPI

    /// What the test edges' VCL and the worker's PURGE/BAN share.
    static let edgeToken = "reel-test-edge-token-2026"

    static func start(
        _ db: TestDatabase, maxUploadBytes: Int64 = 1 << 30, worker: Bool = true, adminToken: String? = nil, openUploads: Bool = true,
        playbackSigner: PlaybackSigner? = nil, limits: MediaLimits = .standard, server: ServerLimits = ServerLimits(),
        pool: PostgresPool? = nil, regions given: Regions? = nil, uploads: UploadPolicy = UploadPolicy(),
        cors: CORSPolicy = CORSPolicy(origins: []), webhooks: WebhookDeliverySettings = WebhookDeliverySettings(),
        av1: AV1Configuration = .standard
    ) async throws -> APIHarness {
        let regions = try given ?? Regions([
            Region(name: "near", store: try TestObjectStores.fileStore("near")),
            Region(name: "far", store: try TestObjectStores.fileStore("far")),
        ])
        guard let redis = ProcessInfo.processInfo.environment["REEL_TEST_REDIS_URL"] else {
            throw CatalogError("REEL_TEST_REDIS_URL is not set: run the tests with scripts/test.sh, which starts Redis")
        }
        let catalog = Catalog(pool: pool ?? db.pool, cache: CatalogCache(redis: try RedisPool(url: redis)))
        let scratch = TestObjectStores.freshFolder("api")
        var configuration = APIConfiguration(maxUploadBytes: maxUploadBytes, nearestRegion: regions.home.name, spool: scratch,
                                             playerDirectory: APIConfiguration.findPlayer(root: PackagePaths.root),
                                             adminToken: adminToken, openUploads: openUploads, playbackSigner: playbackSigner,
                                             server: server, uploads: uploads, cors: cors)
        configuration.webhookAddresses = webhooks.addresses
        let api = ReelAPI(catalog: catalog, regions: regions, configuration: configuration)
        let port = Mutex(0)
        let app = api.application(port: 0, logger: .test) { bound in port.withLock { $0 = bound } }
        var services: [any Service] = [app]
        // With signed playback, warm fetches are signed as `reel worker` signs them.
        var warmSignature: (@Sendable (String) -> String)?
        if let signer = playbackSigner {
            warmSignature = { video in signer.query(video: video, expires: Date().addingTimeInterval(3600)) }
        }
        if worker {
            var configuration = WorkerConfiguration(queues: [ReelJobs.Queue.media: 2, ReelJobs.Queue.replication: 2, ReelJobs.Queue.edges: 2,
                                                             ReelJobs.Queue.webhooks: 2, ReelJobs.Queue.reencode: 1])
            configuration.pollInterval = 0.2
            services.append(ReelQueue.Worker(
                pool: db.pool, handlers: ReelHandlers.all(catalog: catalog, regions: regions, scratch: scratch, edgeToken: edgeToken,
                                                                  limits: limits, av1: av1, demo: true,
                                                                  playbackSignature: warmSignature, webhooks: webhooks),
                configuration: configuration, logger: .test))
        }
        let harness = ServiceHarness(services)
        try await eventually(timeout: 30, "the API to listen") { port.withLock { $0 } != 0 }
        return APIHarness(db: db, regions: regions, base: "http://127.0.0.1:\(port.withLock { $0 })", services: harness, catalog: catalog, spool: scratch, api: api)
    }

    func stop() async throws { try await services.stop() }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] { (try JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    }

    func request(_ method: String = "GET", _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> Reply {
        try await Self.request(base, method, path, headers: headers, body: body)
    }

    /// A client that shows redirects rather than following them, so tests see the 303s the dashboard sends.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// One request to any API at `base` (an in-process harness or a `reel api` process).
    static func request(_ base: String, _ method: String = "GET", _ path: String, headers: [(String, String)] = [],
                        body: Data? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 1 << 30)
        var names: [String: String] = [:]
        for header in response.headers { names[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: names, body: Data(data.readableBytesView))
    }

    /// Uploads a file; returns the new video's id.
    func upload(_ file: String, type: String = "video/mp4", title: String = "test") async throws -> String {
        let query = title.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "test"
        let reply = try await request("POST", "/v1/uploads?title=\(query)", headers: [("Content-Type", type)],
                                      body: try Data(contentsOf: URL(fileURLWithPath: file)))
        guard reply.status == 201, let id = try reply.json()["id"] as? String else {
            throw CatalogError("upload failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// An 8 s 480x854 clip with sound, made with the ffmpeg command line.
    static func eightSecondClip(_ name: String) async throws -> String {
        let path = TestObjectStores.freshFolder(name).appendingPathExtension("mp4").path
        _ = try await tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=480x854:rate=30",
                                      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "8", "-c:v", "libx264",
                                      "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path])
        return path
    }

    func status(_ id: String) async throws -> String {
        try await request("GET", "/v1/videos/\(id)").json()["status"] as? String ?? ""
    }
}
