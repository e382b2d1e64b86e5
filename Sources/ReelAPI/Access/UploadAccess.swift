import Foundation
import Hummingbird
import Logging
import ReelCatalog
import ReelStore

extension ReelAPI {
    /// Who may upload, and as which tenant: with a token, it must have the
    /// `upload` scope and its tenant (when it has one) is the owner, so one
    /// tenant cannot upload as another; without one, only an API started
    /// with open uploads accepts the request. A new upload counts against
    /// the token's uploads a minute.
    func uploadOwner(_ request: Request, requested: String) async throws -> (owner: String, tokenID: Int64?) {
        guard let caller = try await uploader(request) else { return (requested, nil) }
        if !caller.tenant.isEmpty, !requested.isEmpty, requested != caller.tenant {
            throw APIError(.forbidden, "forbidden", "token '\(caller.name)' uploads for tenant '\(caller.tenant)', not '\(requested)': leave out ?owner=")
        }
        try await rateLimit.admit(caller)
        return (caller.tenant.isEmpty ? requested : caller.tenant, caller.tokenID)
    }

    /// Refuses bytes while the spool's disk is nearly full (507; nothing is lost, the client sends again later).
    func guardDisk() throws {
        let guardian = DiskGuard(folder: configuration.spool, minimumFree: configuration.uploads.minimumFreeBytes)
        if let shortage = guardian.shortage() {
            logger.error("refusing uploads: the spool's disk is nearly full", metadata: ["shortage": "\(shortage)"])
            throw APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), "insufficient_storage",
                           "the server is short of disk space and takes no upload bytes now; send them again later (nothing you sent is lost)",
                           headers: [.retryAfter: "60"])
        }
    }

    /// Inserts an upload's row under the token's and tenant's quotas (429 when over).
    func admit(_ upload: Uploads.Request) async throws -> Date {
        do {
            return try await Uploads.admit(upload, token: configuration.uploads.perToken, tenant: configuration.uploads.perTenant,
                                           pool: catalog.pool)
        } catch let over as Uploads.OverQuota {
            throw APIError(.tooManyRequests, "quota_exceeded", over.description)
        }
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
