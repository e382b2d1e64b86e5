import CoreMetrics
public import Logging
public import ServiceLifecycle

/// An edge's counters (varnishstat, read on the edge's host) as this edge
/// agent's metrics, so each edge is exported once, by the process beside
/// it, not by every API: `reel_edge_cache_hits_total`, `_misses_total`,
/// `reel_edge_served_bytes_total`, `reel_edge_origin_bytes_total`,
/// `reel_edge_objects` and `reel_edge_up`, labelled with the edge's name.
public final class EdgeCounterExport: Service, Sendable {
    let edge: String
    let workdir: String
    let interval: Duration
    let logger: Logger

    public init(edge: String, workdir: String, interval: Duration = .seconds(5), logger: Logger) {
        self.edge = edge
        self.workdir = workdir
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in try await poll() }
    }

    private func poll() async throws {
        let dimensions = [("edge", edge)]
        let up = Gauge(label: "reel_edge_up", dimensions: dimensions)
        let objects = Gauge(label: "reel_edge_objects", dimensions: dimensions)
        let hits = Counter(label: "reel_edge_cache_hits_total", dimensions: dimensions)
        let misses = Counter(label: "reel_edge_cache_misses_total", dimensions: dimensions)
        let served = Counter(label: "reel_edge_served_bytes_total", dimensions: dimensions)
        let origin = Counter(label: "reel_edge_origin_bytes_total", dimensions: dimensions)
        var last: EdgeCounters?
        while !Task.isCancelled {
            do {
                let now = try await VarnishStat.read(workdir: workdir)
                // varnishstat counts since varnishd started: a smaller figure means a restart.
                func grown(_ path: KeyPath<EdgeCounters, Int64>) -> Int64 {
                    let before = last?[keyPath: path] ?? 0
                    return now[keyPath: path] >= before ? now[keyPath: path] - before : now[keyPath: path]
                }
                hits.increment(by: grown(\.hits))
                misses.increment(by: grown(\.misses))
                served.increment(by: grown(\.clientBytes))
                origin.increment(by: grown(\.originBytes))
                objects.record(now.objects)
                up.record(1)
                last = now
            } catch {
                up.record(0)
                logger.warning("cannot read the edge's counters", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: interval)
        }
    }
}
