import Foundation
import Hummingbird
import ReelCatalog
import ReelQueue

/// The operator's web dashboard under `/admin`, as River UI and Oban Web
/// give their queues: queues with the last hour's charts, jobs with
/// filters, error history, retry and cancel (one, or all matching a
/// filter), videos with renditions, replicas per region and edge warmings,
/// and edges with their hit ratio. Server-rendered HTML with no scripts.
///
/// Sign-in takes an API token (`read-admin` to look, `admin` to act) and
/// keeps it in an HttpOnly, SameSite=Strict cookie scoped to /admin;
/// actions are POST forms whose Origin must be this site.
extension ReelAPI {
    func addDashboardRoutes(to router: Router<BasicRequestContext>) {
        guard let dashboard = try? Dashboard.load() else { return }
        let data = DashboardData(pool: catalog.pool)

        router.get("admin/login") { _, _ in
            dashboard.page("login", title: "Sign in", section: .none, caller: nil)
        }
        router.post("admin/login") { request, context -> Response in
            let form = try await formFields(request, context)
            let token = form["token"]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !token.isEmpty, let caller = try await access.identify(token), caller.allows(.readAdmin) else {
                return dashboard.page("login", title: "Sign in", section: .none, caller: nil,
                                      problem: "That token is unknown, revoked, or has neither the read-admin nor the admin scope.",
                                      status: .unauthorized)
            }
            let value = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_"))) ?? ""
            return Dashboard.redirect("/admin", cookie: "\(Access.cookieName)=\(value); Path=/admin; HttpOnly; SameSite=Strict; Max-Age=43200")
        }
        router.post("admin/logout") { _, _ in
            Dashboard.redirect("/admin/login", cookie: "\(Access.cookieName)=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0")
        }

        router.get("admin") { request, _ -> Response in
            guard let caller = try await viewer(request) else { return Dashboard.redirect("/admin/login") }
            let queues = try await data.queues()
            let charts = try await data.charts()
            return dashboard.page("queues", title: "Queues", section: .queues, caller: caller, values: ["queues": queues, "charts": charts])
        }

        router.get("admin/jobs") { request, _ -> Response in
            guard let caller = try await viewer(request) else { return Dashboard.redirect("/admin/login") }
            let query = request.uri.queryParameters
            let filter = try JobFilterForm(query: query.get("state"), queue: query.get("queue"), kind: query.get("kind"), tenant: query.get("tenant"))
            let jobs = try await data.jobs(filter.filter, limit: 200)
            let states = JobState.allCases.map { ["name": $0.rawValue, "selected": filter.filter.states.contains($0)] as [String: Any] }
            return dashboard.page("jobs", title: "Jobs", section: .jobs, caller: caller,
                                  values: ["jobs": jobs, "states": states, "filter": filter.values, "shown": jobs.count],
                                  flash: flash(query.get("done"), count: query.get("n")))
        }

        router.get("admin/jobs/:job") { request, context -> Response in
            guard let caller = try await viewer(request) else { return Dashboard.redirect("/admin/login") }
            let id = try jobID(context)
            guard let job = try await data.job(id) else { throw APIError.notFound("no job \(id)") }
            return dashboard.page("job", title: "Job \(id)", section: .jobs, caller: caller, values: ["job": job],
                                  flash: flash(request.uri.queryParameters.get("done"), count: "1"))
        }

        router.post("admin/jobs/:job/:action") { request, context -> Response in
            try await actor(request)
            let id = try jobID(context)
            let queue = JobQueue(pool: catalog.pool)
            switch context.parameters.get("action") {
            case "retry":
                let changed = try await queue.retry([id])
                return Dashboard.redirect("/admin/jobs/\(id)?done=\(changed == 1 ? "retried" : "not-retried")")
            case "cancel":
                let changed = try await queue.cancel([id], reason: "cancelled from the dashboard")
                return Dashboard.redirect("/admin/jobs/\(id)?done=\(changed == 1 ? "cancelled" : "not-cancelled")")
            default:
                throw APIError.notFound("no such action: use retry or cancel")
            }
        }

        for action in ["retry", "cancel"] {
            router.post("admin/jobs/\(action)") { request, context -> Response in
                try await actOnMatching(action, request, context)
            }
        }

        router.get("admin/videos") { request, _ -> Response in
            guard let caller = try await viewer(request) else { return Dashboard.redirect("/admin/login") }
            let query = request.uri.queryParameters
            let status = query.get("status").flatMap { $0.isEmpty ? nil : $0 }
            let owner = query.get("owner").flatMap { $0.isEmpty ? nil : $0 }
            let videos = try await data.videos(status: status, owner: owner, limit: 200)
            let statuses = ["uploaded", "processing", "playable", "ready", "failed", "deleted"].map { (name: String) -> [String: Any] in
                ["name": name, "selected": name == status]
            }
            return dashboard.page("videos", title: "Videos", section: .videos, caller: caller,
                                  values: ["videos": videos, "statuses": statuses, "owner": owner ?? "" as String])
        }

        router.get("admin/videos/:id") { request, context -> Response in
            guard let caller = try await viewer(request) else { return Dashboard.redirect("/admin/login") }
            let id = context.parameters.get("id") ?? ""
            guard let video = try await data.video(id) else { throw APIError.notFound("no video \(id)") }
            var values: [String: Any] = [
                "video": video, "signed": configuration.playbackSigner.map { "?" + $0.query(video: id, expires: Date().addingTimeInterval(3600)) } ?? "",
                "renditions": try await data.renditions(id), "replicas": try await data.replicas(id),
                "warmings": try await data.warmings(id), "jobs": try await data.videoJobs(id),
            ]
            // Only when there is one: the template's section shows it (an Optional would hide its fields).
            if let perTitle = try await data.perTitle(id) { values["perTitle"] = perTitle }
            if let av1 = try await data.av1(id) { values["av1"] = av1 }
            return dashboard.page(
                "video", title: video.title.isEmpty ? "Video \(id)" : video.title, section: .videos, caller: caller, values: values)
        }

        router.get("admin/edges") { request, _ -> Response in
            guard let caller = try await viewer(request) else { return Dashboard.redirect("/admin/login") }
            return dashboard.page("edges", title: "Edges", section: .edges, caller: caller, values: ["edges": try await data.edges()])
        }

        router.get("admin/webhooks") { request, _ -> Response in
            guard let caller = try await viewer(request) else { return Dashboard.redirect("/admin/login") }
            let (endpoints, attempts) = try await data.webhooks()
            let done = request.uri.queryParameters.get("done") == "enabled" ? "Enabled: deliveries go to it again." : nil
            return dashboard.page("webhooks", title: "Webhooks", section: .webhooks, caller: caller,
                                  values: ["endpoints": endpoints, "attempts": attempts], flash: done)
        }

        router.post("admin/webhooks/:hook/enable") { request, context -> Response in
            try await actor(request)
            guard let id = Int64(context.parameters.get("hook") ?? ""), try await Webhooks.enable(id, tenant: nil, pool: catalog.pool) else {
                throw APIError.notFound("no such webhook endpoint")
            }
            return Dashboard.redirect("/admin/webhooks?done=enabled")
        }
    }

    /// Retry or cancel every job a filter matches, from the jobs page.
    func actOnMatching(_ action: String, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try await actor(request)
        let form = try await formFields(request, context)
        let fields = URLComponents(string: "?" + (form["filter"] ?? ""))?.queryItems ?? []
        func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
        let filter = try JobFilterForm(query: field("state"), queue: field("queue"), kind: field("kind"), tenant: field("tenant"))
        guard !filter.isEmpty else {
            throw APIError.badRequest("choose a state, queue, kind or tenant first: an action on every job is not offered")
        }
        let queue = JobQueue(pool: catalog.pool)
        let changed = action == "retry"
            ? try await queue.retry(matching: filter.filter)
            : try await queue.cancel(matching: filter.filter, reason: "cancelled from the dashboard")
        let back = filter.query.isEmpty ? "" : filter.query + "&"
        return Dashboard.redirect("/admin/jobs?\(back)done=\(action == "retry" ? "retried" : "cancelled")&n=\(changed)")
    }

    /// Who is looking: nil (so the page sends them to sign in) without a
    /// valid token; a 403 with a token that has no admin scope.
    func viewer(_ request: Request) async throws -> Caller? {
        guard let token = Access.token(of: request, cookie: true), let caller = try await access.identify(token) else { return nil }
        guard caller.allows(.readAdmin) else {
            throw APIError(.forbidden, "forbidden", "token '\(caller.name)' may not read the dashboard: it needs read-admin or admin")
        }
        return caller
    }

    /// An action's caller must hold `admin`, and the form must come from this site.
    func actor(_ request: Request) async throws {
        if let origin = request.headers[.origin], origin != "null" {
            let host = URL(string: origin).map { "\($0.host ?? ""):\($0.port.map(String.init) ?? "")" } ?? ""
            let expected = request.head.authority ?? ""
            guard host == expected || host == expected + ":" else {
                throw APIError(.forbidden, "cross_site", "a dashboard action must come from the dashboard's own pages (Origin \(origin))")
            }
        }
        _ = try await access.require(.admin, request, cookie: true)
    }

    /// A urlencoded form's fields, refusing a body over the form limit.
    func formFields(_ request: Request, _ context: BasicRequestContext) async throws -> [String: String] {
        let limit = configuration.maxFormBytes
        let body = request.body
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "too_large", "a form may be at most \(limit) bytes")
        }
        let text = String(buffer: buffer).replacingOccurrences(of: "+", with: " ")
        var fields: [String: String] = [:]
        for item in URLComponents(string: "?" + text)?.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        return fields
    }

    func flash(_ done: String?, count: String?) -> String? {
        let n = count ?? "0"
        switch done {
        case "retried": return n == "1" ? "Retried: the job runs again now." : "Retried \(n) jobs."
        case "cancelled": return n == "1" ? "Cancelled." : "Cancelled \(n) jobs."
        case "not-retried": return "Not retried: only discarded, cancelled, retryable or scheduled jobs can be."
        case "not-cancelled": return "Not cancelled: the job has already finished."
        default: return nil
        }
    }
}

/// A jobs filter as the dashboard's query string carries it.
struct JobFilterForm {
    let filter: JobFilter

    init(query state: String?, queue: String?, kind: String?, tenant: String?) throws {
        var states: [JobState] = []
        for name in (state ?? "").split(separator: ",") {
            guard let parsed = JobState(rawValue: String(name)) else {
                throw APIError.badRequest("unknown job state '\(name)': use \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states.append(parsed)
        }
        func given(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        filter = JobFilter(states: states, queue: given(queue), kind: given(kind), tenant: given(tenant))
    }

    var isEmpty: Bool { filter.states.isEmpty && filter.queue == nil && filter.kinds.isEmpty && filter.tenant == nil }

    /// The filter as a query string, for links and the bulk-action forms.
    var query: String {
        var items: [URLQueryItem] = []
        if !filter.states.isEmpty { items.append(URLQueryItem(name: "state", value: filter.states.map(\.rawValue).joined(separator: ","))) }
        if let queue = filter.queue { items.append(URLQueryItem(name: "queue", value: queue)) }
        if let kind = filter.kind { items.append(URLQueryItem(name: "kind", value: kind)) }
        if let tenant = filter.tenant { items.append(URLQueryItem(name: "tenant", value: tenant)) }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }

    var values: [String: String] {
        ["queue": filter.queue ?? "", "kind": filter.kind ?? "", "tenant": filter.tenant ?? "", "query": query]
    }
}
