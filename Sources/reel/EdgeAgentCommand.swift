import ArgumentParser
import Foundation
import Logging
import ReelEdge
import ReelPostgres
import ServiceLifecycle
import UnixSignals

/// `reel edge-agent`: runs on an edge's host and writes the plays the edge
/// served to the catalog, so the edge may cache master playlists and MPDs.
struct EdgeAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-agent",
        abstract: "Count the plays a Varnish edge on this host serves (its log, read with varnishncsa) and write them to the catalog in batches, until SIGTERM or SIGINT.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The edge's name (as `reel edges add` took it): the label of its counters on /metrics.")
    var edge: String
    @Option(help: "The edge's varnishd working folder (its -n; what `reel edges add --workdir` took).")
    var workdir: String
    @OptionGroup var metrics: MetricsOptions
    @Option(help: "Seconds between writes of the counted plays.")
    var flushInterval = 2.0
    @Option(help: "The varnishncsa program.")
    var varnishncsa = "varnishncsa"

    func run() async throws {
        let logger = CLI.logger("reel.edge-agent")
        try await database.checkServer(writes: true, logger: logger)
        let pool = database.pool(size: 1)
        let counter = PlayCounter(pool: pool, interval: .milliseconds(Int64(max(0.1, flushInterval) * 1000)), logger: logger)
        let log = EdgePlayLog(workdir: workdir, counter: counter, logger: logger, binary: varnishncsa)
        let counters = EdgeCounterExport(edge: edge, workdir: workdir, logger: logger)
        logger.notice("counting the plays of the edge in \(workdir)")
        // Stopped in reverse: the log first, then the counter writes what it still holds.
        let group = ServiceGroup(configuration: .init(
            services: try CLI.tracing("reel-edge-agent", logger: logger)
                + [.init(service: counter), .init(service: log), .init(service: counters)] + metrics.services(pool: pool, logger: logger),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await pool.close()
    }
}
