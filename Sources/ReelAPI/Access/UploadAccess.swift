import Hummingbird

extension ReelAPI {
    /// Who may upload, and as which tenant: with a token, it must have the
    /// `upload` scope and its tenant (when it has one) is the owner, so one
    /// tenant cannot upload as another; without one, only an API started
    /// with open uploads accepts the request. A new upload counts against
    /// the token's uploads a minute.
    func uploadOwner(_ request: Request, requested: String) async throws -> String {
        guard let caller = try await uploader(request) else { return requested }
        if !caller.tenant.isEmpty, !requested.isEmpty, requested != caller.tenant {
            throw APIError(.forbidden, "forbidden", "token '\(caller.name)' uploads for tenant '\(caller.tenant)', not '\(requested)': leave out ?owner=")
        }
        try await rateLimit.admit(caller)
        return caller.tenant.isEmpty ? requested : caller.tenant
    }

    /// A resumable upload's later requests (HEAD, GET, PATCH): the same
    /// rule, and a tenant's token reaches only that tenant's uploads.
    func checkUploadAccess(_ request: Request, owner: String, upload: String) async throws {
        guard let caller = try await uploader(request) else { return }
        if !caller.tenant.isEmpty, owner != caller.tenant {
            throw APIError.notFound("no resumable upload \(upload) for tenant '\(caller.tenant)'")
        }
    }

    private func uploader(_ request: Request) async throws -> Caller? {
        if configuration.openUploads, Access.token(of: request, cookie: false) == nil { return nil }
        return try await access.require(.upload, request)
    }
}
