import Foundation
public import Hummingbird
public import Logging
public import ReelCatalog
import ReelEdge
import ReelObservability
public import ReelPostgres
public import ReelStore
import ServiceLifecycle

/// The HTTP API: uploads, video metadata, playlists and segments, health.
/// Metadata and playlists come from the catalog; bytes from the nearest
/// region's store, falling back to the others.
public struct ReelAPI: Sendable {
    public let catalog: Catalog
    public let regions: Regions
    public let configuration: APIConfiguration

    let memo: PlaybackMemo
    let edges: EdgeFleet
    let admission: EdgeAdmission
    let plays: PlayCounter
    let access: Access
    let rateLimit: UploadRateLimit
    /// Where details a client must not see go (paths, hosts, buckets, driver text).
    let logger = Logger(label: "reel.api")
    let repairs: CopyRepairs

    /// Every operation the router answers, as `openapi.yaml` names them; the
    /// contract test checks the two lists agree and that each answers as documented.
    public static let routes: [String] = [
        "GET /healthz", "GET /readyz", "GET /metrics", "POST /v1/uploads", "POST /v1/uploads/resumable",
        "HEAD /v1/uploads/resumable/{upload}", "GET /v1/uploads/resumable/{upload}", "PATCH /v1/uploads/resumable/{upload}",
        "OPTIONS /v1/uploads/tus", "POST /v1/uploads/tus", "OPTIONS /v1/uploads/tus/{upload}", "HEAD /v1/uploads/tus/{upload}",
        "PATCH /v1/uploads/tus/{upload}", "DELETE /v1/uploads/tus/{upload}",
        "POST /v1/uploads/direct", "OPTIONS /v1/uploads/direct/{secret}", "POST /v1/uploads/direct/{secret}",
        "HEAD /v1/uploads/direct/{secret}", "PATCH /v1/uploads/direct/{secret}", "DELETE /v1/uploads/direct/{secret}",
        "POST /v1/webhooks", "GET /v1/webhooks", "GET /v1/webhooks/{hook}", "DELETE /v1/webhooks/{hook}", "POST /v1/webhooks/{hook}/test",
        "POST /v1/webhooks/{hook}/enable", "POST /v1/webhooks/{hook}/rotate",
        "GET /v1/videos/{id}",
        "GET /v1/videos/{id}/master.m3u8", "GET /v1/videos/{id}/manifest.mpd", "GET /v1/videos/{id}/poster.jpg",
        "GET /v1/videos/{id}/player", "GET /v1/videos/{id}/authorize", "GET /v1/videos/{id}/{rendition}/index.m3u8", "GET /v1/videos/{id}/{rendition}/init.mp4",
        "GET /v1/videos/{id}/{rendition}/{segment}.m4s", "GET /player/{file}",
        "GET /v1/admin/queues", "GET /v1/admin/jobs", "GET /v1/admin/jobs/{job}", "POST /v1/admin/jobs/{job}/retry",
        "POST /v1/admin/jobs/{job}/cancel", "DELETE /v1/admin/videos/{id}",
    ]

    public init(catalog: Catalog, regions: Regions, configuration: APIConfiguration) {
        self.catalog = catalog
        self.regions = regions
        self.configuration = configuration
        // Before any metric is made: one made earlier would record nowhere.
        ReelMetrics.bootstrap()
        memo = PlaybackMemo()
        edges = EdgeFleet(pool: catalog.pool)
        admission = EdgeAdmission(pool: catalog.pool)
        plays = PlayCounter(pool: catalog.pool, logger: Logger(label: "reel.api.plays"))
        access = Access(tokens: TokenStore(pool: catalog.pool), bootstrap: configuration.adminToken)
        rateLimit = UploadRateLimit(redis: catalog.cache?.redis, logger: Logger(label: "reel.api.limits"))
        repairs = CopyRepairs(scrubber: ObjectScrubber(catalog: catalog, regions: regions, scratch: configuration.spool),
                              logger: Logger(label: "reel.api.repairs"))
    }

    var reader: ObjectReader { ObjectReader(regions: regions, nearest: configuration.nearestRegion) }

    /// The router with every route and the JSON error middleware.
    public func router() -> Router<BasicRequestContext> {
        // HEAD answers for every GET route (RFC 9110 §9.3.2: servers must support HEAD).
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Hummingbird's: a server span per request, continuing a caller's traceparent (an edge
        // warming for a worker), so what the request enqueues joins the same trace…
        router.add(middleware: TracingMiddleware())
        // …and a count and a duration histogram per route, method and status.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: CORSHeaders(policy: configuration.cors))
        router.add(middleware: JSONErrorMiddleware())
        addHealthRoutes(to: router)
        addUploadRoutes(to: router)
        addResumableUploadRoutes(to: router)
        addTusRoutes(to: router)
        addDirectUploadRoutes(to: router)
        addWebhookRoutes(to: router)
        addVideoRoutes(to: router)
        addPlayerRoutes(to: router)
        addAdminRoutes(to: router)
        addDashboardRoutes(to: router)
        return router
    }

    /// One pass of the spool sweep this API runs every minute (abandoned
    /// one-shot files, resumable files of expired or finished uploads);
    /// returns how many files it removed.
    @discardableResult
    public func sweepSpool() async throws -> Int { try await spoolSweeper.sweep() }

    /// Sweeps this instance's upload spool every minute.
    var spoolSweeper: SpoolSweeper {
        SpoolSweeper(spool: configuration.spool, pool: catalog.pool, interval: 60,
                     staleAfter: max(600, 2 * configuration.server.bodyStallTimeout), logger: logger)
    }

    /// The API's database pool: a request waits at most `limits.databaseWait`
    /// for a connection (then 503 + Retry-After), and no statement runs longer
    /// than `limits.statementTimeoutMs`.
    /// Through a transaction pooler the timeout is the pooler's to set (PgBouncer's `connect_query`).
    public static func pool(url: String, connections: Int, limits: ServerLimits, pooling: PostgresPooling = .none) -> PostgresPool {
        PostgresPool(url: url, maxConnections: max(1, connections), name: "reel-api",
                     setup: "SET statement_timeout = \(limits.statementTimeoutMs)", maxWait: limits.databaseWait, pooling: pooling)
    }

    /// An application bound to `host:port` (port 0 picks a free one; `onRunning` gets the real port).
    public func application(
        host: String = "127.0.0.1", port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let limits = configuration.server
        return Application(
            router: router(),
            // RequestTimeouts times heads, body stalls and idle connections itself, with one
            // timer per connection (Hummingbird's idle timeout reschedules one per request part).
            server: .http1(configuration: .init(additionalChannelHandlers: limits.defences ? [RequestTimeouts(limits: limits)] : [])),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "reel", backlog: limits.listenBacklog,
                availableConnectionsDelegate: limits.defences ? .maximum(limits.maxConnections, logger: logger) : nil),
            services: [plays, spoolSweeper],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
