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

/// Counts every response for `/metrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: APIMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        metrics.count(method: request.method.rawValue, status: response.status.code)
        return response
    }
}
