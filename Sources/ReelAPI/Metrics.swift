import Foundation
import Hummingbird
import ReelCatalog
import Synchronization

/// Counters the API exports at `/metrics` in Prometheus' text format.
final class APIMetrics: Sendable {
    private let requests = Mutex([String: Int]())

    func count(method: String, status: Int) {
        requests.withLock { $0["\(method)|\(status / 100)xx", default: 0] += 1 }
    }

    func exposition(cache: CatalogCache?, memoHits: Int) -> String {
        var lines = [
            "# HELP reel_http_requests_total HTTP requests answered, by method and status class.",
            "# TYPE reel_http_requests_total counter",
        ]
        for (key, value) in requests.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "|")
            lines.append("reel_http_requests_total{method=\"\(parts[0])\",status=\"\(parts[1])\"} \(value)")
        }
        lines += [
            "# HELP reel_catalog_reads_total Playback metadata reads, by where they were answered from.",
            "# TYPE reel_catalog_reads_total counter",
        ]
        let counts = cache?.snapshot ?? CatalogCache.CacheCounts()
        lines.append("reel_catalog_reads_total{source=\"memory\"} \(memoHits)")
        lines.append("reel_catalog_reads_total{source=\"cache\"} \(counts.hits)")
        lines.append("reel_catalog_reads_total{source=\"cache_absent\"} \(counts.negativeHits)")
        lines.append("reel_catalog_reads_total{source=\"database_after_miss\"} \(counts.misses)")
        lines.append("reel_catalog_reads_total{source=\"database_redis_down\"} \(counts.fallbacks)")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// One edge's latest counters, as `/metrics` exports them.
struct EdgeMetricRow: Sendable {
    let edge: String
    let region: String
    let up: Bool
    let hits: Int64
    let misses: Int64
    let clientBytes: Int64
    let originBytes: Int64
    let objects: Int64
}

extension APIMetrics {
    /// Per edge: up, hits, misses, bytes served and fetched from the origin
    /// (cumulative, as varnishstat counts them); hit ratio and origin offload
    /// are ratios of these in PromQL, or the `edge_report` view in SQL.
    static func edgeExposition(_ rows: [EdgeMetricRow]) -> String {
        guard !rows.isEmpty else { return "" }
        var lines: [String] = []
        let series: [(String, String, String, (EdgeMetricRow) -> String)] = [
            ("reel_edge_up", "gauge", "1 when the edge answered its last check or warm.", { $0.up ? "1" : "0" }),
            ("reel_edge_cache_hits_total", "counter", "Requests the edge answered from its cache.", { "\($0.hits)" }),
            ("reel_edge_cache_misses_total", "counter", "Requests the edge fetched from the origin to cache.", { "\($0.misses)" }),
            ("reel_edge_served_bytes_total", "counter", "Body bytes the edge sent to viewers.", { "\($0.clientBytes)" }),
            ("reel_edge_origin_bytes_total", "counter", "Body bytes the edge fetched from the origin.", { "\($0.originBytes)" }),
            ("reel_edge_objects", "gauge", "Objects in the edge's cache.", { "\($0.objects)" }),
        ]
        for (name, type, help, value) in series {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for row in rows { lines.append("\(name){edge=\"\(row.edge)\",region=\"\(row.region)\"} \(value(row))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Counts every response for `/metrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        metrics.count(method: request.method.rawValue, status: response.status.code)
        return response
    }
}
