import Foundation
import Logging
import Hummingbird
import ReelCatalog
import ReelPostgres

extension ReelAPI {
    func addHealthRoutes(to router: Router<BasicRequestContext>) {
        // Alive: the process answers.
        router.get("healthz") { _, _ in JSONBody(["status": "ok"]) }
        router.get("metrics") { _, _ in
            // The edges' counters come from the catalog (edge.stats jobs read them from each edge);
            // without the catalog, the API's own metrics still answer.
            let edgeLines = (try? await catalog.pool.query(
                """
                SELECT r.edge, r.region, e.healthy, coalesce(r.hits, 0), coalesce(r.misses, 0), coalesce(r.client_bytes, 0),
                       coalesce(r.origin_bytes, 0), coalesce(r.objects, 0)
                FROM edge_report r JOIN edges e ON e.name = r.edge ORDER BY r.edge
                """
            ).map { row in
                EdgeMetricRow(edge: row.string(0) ?? "", region: row.string(1) ?? "", up: row.bool(2) ?? false, hits: row.int64(3) ?? 0,
                              misses: row.int64(4) ?? 0, clientBytes: row.int64(5) ?? 0, originBytes: row.int64(6) ?? 0,
                              objects: row.int64(7) ?? 0)
            }) ?? []
            let text = metrics.exposition(cache: catalog.cache, memoHits: memo.hits) + APIMetrics.edgeExposition(edgeLines)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        // Ready: the catalog answers (the store is checked per request, with fallback).
        router.get("readyz") { _, _ -> Response in
            do {
                _ = try await catalog.pool.query("SELECT 1")
                return try JSONBody(["status": "ready"]).response()
            } catch {
                logger.warning("readiness: the catalog database does not answer", metadata: ["error": "\(error)"])
                return APIError.json(.serviceUnavailable, code: "not_ready", message: "the catalog database does not answer")
            }
        }
    }
}

/// An Encodable value as a JSON response.
struct JSONBody<Value: Encodable & Sendable>: ResponseGenerator {
    let value: Value
    var status: HTTPResponse.Status = .ok
    var cacheControl = "no-store"

    init(_ value: Value, status: HTTPResponse.Status = .ok, cacheControl: String = "no-store") {
        self.value = value
        self.status = status
        self.cacheControl = cacheControl
    }

    func response() throws -> Response {
        Self.response(try bytes(), status: status, cacheControl: cacheControl)
    }

    /// The JSON text alone, for answers worth keeping.
    func bytes() throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return ByteBuffer(bytes: try encoder.encode(value))
    }

    static func response(_ bytes: ByteBuffer, status: HTTPResponse.Status = .ok, cacheControl: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: cacheControl],
                 body: ResponseBody(byteBuffer: bytes))
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { try response() }
}
