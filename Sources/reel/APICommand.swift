import ArgumentParser
import Foundation
import Logging
import ReelAPI
import ReelCatalog
import ReelEdge
import ReelPostgres
import ReelStore
import ServiceLifecycle
import UnixSignals

struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve the HTTP API (uploads, metadata, playlists, segments, health) until SIGTERM or SIGINT.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var storage: RegionOptions
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one; the log line says which).")
    var port = 8080
    @Option(name: .customLong("max-upload-mib"), help: "Largest upload accepted, in MiB.")
    var maxUploadMiB: Int64 = 2048
    @Option(help: "The region this API is in: segments are read from it first (default: $REEL_REGION, else the regions in $REEL_REGIONS order).")
    var region: String?
    @Option(help: "Connections to PostgreSQL.")
    var connections = 16
    @Option(name: .customLong("read-database-url"),
            help: "A hot standby near this API for viewers' catalog reads, e.g. postgresql://reel@standby/reel; what it lacks is read from --database-url (default: $REEL_DATABASE_READ_URL, else none: every read goes to --database-url).")
    var readDatabaseURL: String?
    @Option(help: "Viewers' region when a request gives none (?region= or X-Reel-Region): playback URLs point at an edge there (default: $REEL_EDGE_REGION).")
    var edgeRegion: String?
    @Flag(help: "Accept uploads without a token (a private network, the demo); default: uploads need a token with the upload scope ($REEL_OPEN_UPLOADS=1 also turns this on).")
    var openUploads = false
    @Option(name: .customLong("cors-origin"),
            help: "A web page origin that may call the API from a browser, e.g. https://app.example.com, or * for any (repeatable; default: $REEL_CORS_ORIGINS, comma-separated; none).")
    var corsOrigins: [String] = []
    @Option(help: "The API's address as phones and pages outside reach it, e.g. https://video.example.com: the base of the direct upload URLs it hands out (default: $REEL_PUBLIC_URL, else the address the asking request used).")
    var publicURL: String?
    @Option(name: .customLong("max-form-kib"), help: "Largest body of a request that is not an upload (dashboard forms), in KiB.")
    var maxFormKiB = 64
    @OptionGroup var server: ServerLimitOptions

    func run() async throws {
        let logger = CLI.logger("reel.api")
        let environment = ProcessInfo.processInfo.environment
        var signer: PlaybackSigner?
        if let key = environment["REEL_PLAYBACK_KEY"], !key.isEmpty {
            do { signer = try PlaybackSigner(key: key) } catch let error as TokenError { throw CLIError(error.description) }
        }
        let cors = corsOrigins.isEmpty ? CORSPolicy(list: environment["REEL_CORS_ORIGINS"] ?? "") : CORSPolicy(origins: corsOrigins)
        if let mistake = cors.mistakes.first {
            throw CLIError("CORS origin '\(mistake)' is not an origin: write scheme://host[:port] with no path or slash, e.g. https://app.example.com, or *")
        }
        let regions = try storage.load()
        let limits = try server.limits()
        try await database.checkServer(writes: true, logger: logger)
        let pool = ReelAPI.pool(url: database.url, connections: connections, limits: limits, pooling: database.pooling)
        var readPool: PostgresPool?
        if let readURL = readDatabaseURL ?? environment["REEL_DATABASE_READ_URL"], !readURL.isEmpty {
            try await DatabaseOptions.checkServer(
                url: readURL, pooling: .none, writes: false,
                variable: readDatabaseURL == nil ? "REEL_DATABASE_READ_URL" : "--read-database-url", logger: logger)
            readPool = ReelAPI.pool(url: readURL, connections: connections, limits: limits)
        }
        var configuration = APIConfiguration(
                maxUploadBytes: maxUploadMiB << 20, nearestRegion: region ?? ProcessInfo.processInfo.environment["REEL_REGION"],
                spool: storage.dataFolder.appendingPathComponent("spool"),
                playerDirectory: APIConfiguration.findPlayer(root: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)),
                adminToken: ProcessInfo.processInfo.environment["REEL_ADMIN_TOKEN"],
                edgeRegion: edgeRegion ?? environment["REEL_EDGE_REGION"],
                openUploads: openUploads || ["1", "true", "yes"].contains(environment["REEL_OPEN_UPLOADS"]?.lowercased() ?? ""),
                playbackSigner: signer, maxFormBytes: max(1, maxFormKiB) << 10, server: limits, uploads: try UploadPolicyEnvironment.load(),
                cors: cors)
        if let address = publicURL ?? environment["REEL_PUBLIC_URL"], !address.isEmpty {
            guard let url = URL(string: address), ["http", "https"].contains(url.scheme ?? ""), url.host != nil,
                  url.path.isEmpty || url.path == "/", url.query == nil else {
                throw CLIError("public URL '\(address)' is not a scheme and host: write e.g. https://video.example.com (no path)")
            }
            configuration.publicURL = address
        }
        configuration.webhookAddresses = try WebhookSettingsEnvironment.addresses()
        let api = ReelAPI(catalog: try storage.catalog(pool, readPool: readPool), regions: regions, configuration: configuration)
        if api.configuration.openUploads { logger.notice("uploads are open: anyone who reaches this API may upload") }
        if signer != nil { logger.notice("playback needs signed URLs (REEL_PLAYBACK_KEY is set)") }
        if api.configuration.cors.isEnabled {
            logger.notice("pages from these origins may call the API: \(api.configuration.cors.origins.joined(separator: ", "))")
        }
        let swept = UploadSpool.sweep(in: api.configuration.spool, olderThan: 3600)
        if swept > 0 { logger.notice("removed \(swept) upload spool files left by a crash") }
        let app = api.application(host: host, port: port, logger: logger) { port in
            logger.notice("reel api listening on http://\(host):\(port)")
        }
        let group = ServiceGroup(configuration: .init(
            services: try CLI.tracing("reel-api", logger: logger) + [.init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await pool.close()
        await readPool?.close()
    }
}
