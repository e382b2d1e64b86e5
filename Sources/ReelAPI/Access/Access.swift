import Crypto
import Foundation
import Hummingbird

/// Decides who a request comes from and whether it may do what it asks:
/// tokens from the catalog (`reel tokens create`), and the bootstrap token
/// from `REEL_ADMIN_TOKEN`, which has every scope so a fresh install can
/// be run before any token exists.
struct Access: Sendable {
    let tokens: TokenStore
    let bootstrap: String?

    /// The caller of a request that must have `scope`: 401 without a token
    /// or with an unknown one, 403 with a token of another scope.
    func require(_ scope: TokenScope, _ request: Request, cookie: Bool = false) async throws -> Caller {
        guard let given = Access.token(of: request, cookie: cookie) else {
            throw APIError(.unauthorized, "unauthorized",
                           "this needs a token with the '\(scope.rawValue)' scope: send 'Authorization: Bearer TOKEN' (make one with `reel tokens create --scope \(scope.rawValue)`)")
        }
        let caller = try await identify(given)
        guard let caller else {
            throw APIError(.unauthorized, "unauthorized", "the token is unknown or revoked: make a new one with `reel tokens create`")
        }
        guard caller.allows(scope) else {
            throw APIError(.forbidden, "forbidden",
                           "token '\(caller.name)' has scopes \(caller.scopes.sorted().map(\.rawValue).joined(separator: ", ")); this needs '\(scope.rawValue)'")
        }
        return caller
    }

    /// The caller a token stands for, or nil when it is nobody's.
    func identify(_ given: String) async throws -> Caller? {
        if let bootstrap, !bootstrap.isEmpty,
           // Compare digests so the time taken says nothing about the token.
           SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(bootstrap.utf8)) {
            return Caller(name: "bootstrap", tokenID: nil, scopes: Set(TokenScope.allCases), tenant: "", uploadsPerMinute: nil)
        }
        guard let record = try await tokens.authenticate(given) else { return nil }
        return Caller(name: record.name, tokenID: record.id, scopes: Set(record.scopes), tenant: record.tenant,
                      uploadsPerMinute: record.uploadsPerMinute, counterKey: record.prefix)
    }

    /// The token in `Authorization: Bearer`, or (for the dashboard, when
    /// `cookie` is true) in the `reel_admin` cookie its sign-in page sets.
    static func token(of request: Request, cookie: Bool) -> String? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
            return token.isEmpty ? nil : token
        }
        guard cookie, let cookies = request.headers[.cookie] else { return nil }
        for pair in cookies.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == Access.cookieName {
                let value = parts[1].trimmingCharacters(in: .whitespaces).removingPercentEncoding ?? ""
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    static let cookieName = "reel_admin"
}

/// Lets a request through only when its token has `scope`.
struct ScopeMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: Access
    let scope: TokenScope

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        _ = try await access.require(scope, request)
        return try await next(request, context)
    }
}
