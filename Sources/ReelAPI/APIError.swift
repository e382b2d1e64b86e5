import Foundation
import Logging
public import Hummingbird
import ReelPostgres

/// An error a client gets as JSON: `{"error": {"code": "...", "message": "..."}}`
/// with the HTTP status — what failed, on which input, and what to do.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Headers the client needs to act on the error (Retry-After on a 429).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = APIError.json(status, code: code, message: message)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func json(_ status: HTTPResponse.Status, code: String, message: String) -> Response {
        struct Body: Encodable {
            struct Detail: Encodable { let code: String; let message: String }
            let error: Detail
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Body(error: .init(code: code, message: message)))) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", what) }
    static func badRequest(_ what: String) -> APIError { APIError(.badRequest, "bad_request", what) }
}

/// Turns every error into a JSON response: Hummingbird's own errors (unknown
/// route, wrong method) keep their status; anything unexpected is a 500 whose
/// message is logged, not sent.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as PostgresError where error.code == .poolBusy {
            // Shed load with a clear answer instead of queueing without bound.
            context.logger.warning("database pool busy", metadata: ["path": "\(request.uri.path)"])
            var response = APIError.json(.serviceUnavailable, code: "busy", message: "the server is busy; try again in a second")
            response.headers[.retryAfter] = "1"
            return response
        } catch let error as PostgresError where error.isConnectionProblem {
            // The catalog cannot be reached (a partition, a failover under way): say so, and when to retry.
            context.logger.warning("catalog database unreachable", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            var response = APIError.json(.serviceUnavailable, code: "catalog_unavailable",
                                         message: "the catalog cannot be reached now; try again in a few seconds")
            response.headers[.retryAfter] = "5"
            return response
        } catch let error as HTTPError {
            // A known path asked with a method it does not have: 405 with the ones it has.
            let allowed = error.status == .notFound ? RouteTable.methods(of: request.uri.path) : []
            if !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                var response = APIError.json(.methodNotAllowed, code: "method_not_allowed",
                                             message: "\(request.method.rawValue) is not allowed here; use \(allowed.joined(separator: ", "))")
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            let code = error.status == .notFound ? "not_found" : "http_\(error.status.code)"
            return APIError.json(error.status, code: code, message: error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return APIError.json(.internalServerError, code: "internal", message: "the server failed; the error is in its log")
        }
    }
}
