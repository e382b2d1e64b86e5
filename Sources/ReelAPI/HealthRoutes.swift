import Foundation
import Logging
import Hummingbird
import ReelCatalog
import ReelEdge
import ReelObservability
import ReelPostgres
import ReelQueue

extension ReelAPI {
    func addHealthRoutes(to router: Router<BasicRequestContext>) {
        // Alive: the process answers.
        router.get("healthz") { _, _ in JSONBody(["status": "ok"]) }
        // This process's metrics (swift-metrics into swift-prometheus). Edges' counters are each
        // edge agent's to export (`reel edge-agent --metrics-port`), once per edge.
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: ReelMetrics.exposition())))
        }
        // Ready: the catalog answers (the store is checked per request, with fallback).
        router.get("readyz") { _, _ -> Response in
            do {
                try await JobQueue(pool: catalog.pool).reachable()
                return try JSONBody(["status": "ready"]).response()
            } catch where catalog.readPool != nil {
                // Cut off from the primary (a partition): viewers' reads still work from the standby.
                guard let standby = catalog.readPool, (try? await JobQueue(pool: standby).reachable()) != nil else {
                    return APIError.json(.serviceUnavailable, code: "not_ready", message: "neither the primary nor the standby answers")
                }
                return try JSONBody(["status": "ready", "degraded": "the primary does not answer: reads are served, writes fail"]).response()
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
