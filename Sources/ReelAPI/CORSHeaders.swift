import HTTPTypes
import Hummingbird
import ReelEdge

/// Applies a ``CORSPolicy``: answers preflights, adds the headers to every
/// answer for an allowed origin (errors included), and varies on Origin when
/// the answer depends on it. Reel's own rather than Hummingbird's
/// `CORSMiddleware`, which takes its origins only as a literal (variadic)
/// list and answers every OPTIONS with an Origin as a preflight, the tus
/// capabilities request included.
struct CORSHeaders<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard policy.isEnabled, let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = policy.allowOrigin(for: origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard let allowed else {
                return APIError.json(.forbidden, code: "origin_not_allowed",
                                     message: "pages from \(origin) may not call this API: add the origin to REEL_CORS_ORIGINS")
            }
            let headers: HTTPFields = [
                .accessControlAllowOrigin: allowed, .accessControlAllowMethods: CORSPolicy.methods,
                .accessControlAllowHeaders: CORSPolicy.allowedHeaders.joined(separator: ", "), .accessControlMaxAge: "600",
                .vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ]
            return Response(status: .noContent, headers: headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = try await JSONErrorMiddleware<Context>().handle(request, context: context) { _, _ in throw error }
        }
        if let allowed {
            response.headers[.accessControlAllowOrigin] = allowed
            response.headers[.accessControlExposeHeaders] = CORSPolicy.exposedHeaders.joined(separator: ", ")
        }
        if !policy.allowsAny { response.headers[values: .vary].append("Origin") }
        return response
    }
}
