import Crypto
import Foundation
import Hummingbird
import ReelCatalog
import ReelPipeline
import ReelPostgres
import ReelQueue

/// The operator's API under `/v1/admin`: jobs and queues with a
/// `read-admin` token; retry, cancel and deleting a video with an `admin`
/// one (docs/security.md).
extension ReelAPI {
    func addAdminRoutes(to router: Router<BasicRequestContext>) {
        let admin = router.group("v1/admin").add(middleware: ScopeMiddleware(access: access, scope: .readAdmin))
        admin.get("queues") { _, _ -> Response in
            let queues = try await JobQueue(pool: catalog.pool).summaries().map { q in
                AdminQueue(name: q.name, available: q.available, running: q.running, retryable: q.retryable, completed: q.completed,
                           discarded: q.discarded, cancelled: q.cancelled, pending: q.pending, scheduled: q.scheduled,
                           globalLimit: q.globalLimit, paused: q.paused)
            }
            return try JSONBody(queues).response()
        }
        admin.get("jobs") { request, _ -> Response in
            let query = request.uri.queryParameters
            var states: [JobState] = []
            if let text = query.get("state") {
                guard !text.isEmpty else { throw APIError.badRequest("state is empty: leave it out, or name states such as discarded,cancelled") }
                for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let state = JobState(rawValue: String(name)) else {
                        throw APIError.badRequest("unknown job state '\(name)': use \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    states.append(state)
                }
            }
            let filter = JobFilter(states: states, queue: query.get("queue"), kind: query.get("kind"), tenant: query.get("tenant"))
            var limit = 100
            if let text = query.get("limit") {
                guard let asked = Int(text), (1...1000).contains(asked) else {
                    throw APIError.badRequest("limit must be a whole number from 1 to 1000, not '\(text)'")
                }
                limit = asked
            }
            return try JSONBody(try await JobQueue(pool: catalog.pool).jobs(filter, limit: limit)).response()
        }
        admin.get("jobs/:job") { _, context -> Response in
            let id = try jobID(context)
            guard let job = try await JobQueue(pool: catalog.pool).job(id) else { throw APIError.notFound("no job \(id)") }
            return try JSONBody(job).response()
        }
        admin.post("jobs/:job/retry") { request, context -> Response in
            _ = try await access.require(.admin, request)
            let id = try jobID(context)
            let changed = try await JobQueue(pool: catalog.pool).retry([id])
            guard changed == 1 else { throw APIError(.conflict, "not_retryable", "job \(id) does not exist or is not discarded, cancelled or retryable") }
            return try JSONBody(["retried": id]).response()
        }
        admin.post("jobs/:job/cancel") { request, context -> Response in
            _ = try await access.require(.admin, request)
            let id = try jobID(context)
            let reason = request.uri.queryParameters.get("reason") ?? "cancelled through the admin API"
            let changed = try await JobQueue(pool: catalog.pool).cancel([id], reason: reason)
            guard changed == 1 else { throw APIError(.conflict, "not_cancellable", "job \(id) does not exist or has already finished") }
            return try JSONBody(["cancelled": id]).response()
        }
        admin.delete("videos/:id") { request, context -> Response in
            _ = try await access.require(.admin, request)
            let id = context.parameters.get("id") ?? ""
            guard VideoID.isValid(id) else { throw APIError.badRequest("'\(id)' is not a video id") }
            let deleted = try await catalog.pool.withTransaction { conn in
                guard try VideoTransitions.apply(.deleted, video: id, on: conn) else { return false }
                try Catalog.dropRenditions(id, on: conn)
                return true
            }
            await catalog.invalidate(id)
            guard deleted else { throw APIError.notFound("no video \(id) (or it is already deleted)") }
            memo.forget(id)
            return try JSONBody(["deleted": id]).response()
        }
    }

    func jobID(_ context: BasicRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("job").flatMap(Int64.init) else { throw APIError.badRequest("a job id is a number") }
        return id
    }
}

struct AdminQueue: Encodable, Sendable {
    let name: String
    let available, running, retryable, completed, discarded, cancelled, pending, scheduled: Int
    let globalLimit: Int?
    let paused: Bool

    enum CodingKeys: String, CodingKey {
        case name, available, running, retryable, completed, discarded, cancelled, pending, scheduled, paused
        case globalLimit = "global_limit"
    }
}
