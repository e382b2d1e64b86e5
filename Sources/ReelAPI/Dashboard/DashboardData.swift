import Foundation
import ReelCatalog
import ReelManifests
import ReelPostgres
import ReelEdge
import ReelQueue

/// What the dashboard's pages show, read from Postgres with the same views
/// and tables the CLI and docs/sql-cookbook.md use. Every value is already
/// text for the templates, which only lay it out.
struct DashboardData: Sendable {
    let pool: PostgresPool

    struct QueueRow: Sendable {
        let name: String
        let available, running, retryable, scheduled, pending, completed, discarded, cancelled: Int
        let oldest: String
        let limit: String
        let paused: Bool
    }

    func queues() async throws -> [QueueRow] {
        try await JobQueue(pool: pool).summaries().map { q in
            QueueRow(
                name: q.name, available: q.available, running: q.running, retryable: q.retryable, scheduled: q.scheduled,
                pending: q.pending, completed: q.completed, discarded: q.discarded, cancelled: q.cancelled,
                oldest: q.oldestAvailableSeconds.map { String(format: "%.1f s", $0) } ?? "-",
                limit: q.globalLimit.map(String.init) ?? "-", paused: q.paused)
        }
    }

    struct Charts: Sendable {
        let queue: String
        let depth, throughput, latency: String
        let depthMax, throughputMax, latencyMax: String
    }

    /// Depth, throughput and latency of each queue over the last hour
    /// (`reel_report_queue_minutes`), as SVG charts.
    func charts() async throws -> [Charts] {
        var series: [(queue: String, depth: [Double], done: [Double], wait: [Double])] = []
        for minute in try await JobQueue(pool: pool).lastHour() {
            if series.last?.queue != minute.queue { series.append((minute.queue, [], [], [])) }
            series[series.count - 1].depth.append(Double(minute.waiting))
            series[series.count - 1].done.append(Double(minute.completed))
            series[series.count - 1].wait.append(minute.waitP95Milliseconds)
        }
        return series.filter { $0.depth.contains { $0 > 0 } || $0.done.contains { $0 > 0 } || $0.wait.contains { $0 > 0 } }.map {
            let depth = SVGChart(values: $0.depth), done = SVGChart(values: $0.done), wait = SVGChart(values: $0.wait)
            return Charts(queue: $0.queue, depth: depth.svg, throughput: done.svg, latency: wait.svg, depthMax: depth.maximumLabel,
                          throughputMax: done.maximumLabel, latencyMax: wait.maximumLabel)
        }
    }

    struct JobRow: Sendable {
        let id: Int64
        let kind, queue, tenant, state: String
        let attempt, maxAttempts: Int
        let runAt, createdAt, finalizedAt, attemptedBy, leaseExpiresAt: String
        let lastError: String
        let args: String
        let cancelReason: String?
        let retryable, cancellable: Bool
        let errors: [ErrorRow]

        init(_ job: Job) {
            id = job.id
            kind = job.kind
            queue = job.queue
            tenant = job.tenant
            state = job.state.rawValue
            attempt = job.attempt
            maxAttempts = job.maxAttempts
            runAt = DashboardData.time(job.runAt)
            createdAt = DashboardData.time(job.createdAt)
            finalizedAt = job.finalizedAt.map(DashboardData.time) ?? "-"
            attemptedBy = job.attemptedBy ?? "-"
            leaseExpiresAt = job.leaseExpiresAt.map(DashboardData.time) ?? "-"
            lastError = job.errors.last.map { $0.message } ?? ""
            args = DashboardData.pretty(job.args)
            cancelReason = job.cancelReason
            retryable = [.discarded, .cancelled, .retryable, .scheduled].contains(job.state)
            cancellable = ![.completed, .discarded, .cancelled].contains(job.state)
            errors = job.errors.map { ErrorRow(attempt: $0.attempt, at: $0.at, worker: $0.worker ?? "-", message: $0.message) }
        }
    }

    struct ErrorRow: Sendable {
        let attempt: Int
        let at, worker, message: String
    }

    func jobs(_ filter: JobFilter, limit: Int) async throws -> [JobRow] {
        try await JobQueue(pool: pool).jobs(filter, limit: limit).map(JobRow.init)
    }

    func job(_ id: Int64) async throws -> JobRow? {
        try await JobQueue(pool: pool).job(id).map(JobRow.init)
    }

    struct VideoRow: Sendable {
        let id, title, owner, status, createdAt, playableAfter, readyAfter: String
        let error: String?
        let renditions: Int
        let replicas: String
        let warmings: Int
    }

    func videos(status: String?, owner: String?, limit: Int) async throws -> [VideoRow] {
        // An unknown status matches nothing, as the SQL filter did.
        if let status, VideoStatus(rawValue: status) == nil { return [] }
        return try await Catalog(pool: pool).overviews(status: status.flatMap(VideoStatus.init(rawValue:)), owner: owner, limit: limit)
            .map(Self.video)
    }

    func video(_ id: String) async throws -> VideoRow? {
        try await Catalog(pool: pool).overview(id).map(Self.video)
    }

    static func video(_ v: VideoOverview) -> VideoRow {
        VideoRow(
            id: v.id, title: v.title, owner: v.owner, status: v.status.rawValue, createdAt: time(v.createdAt),
            playableAfter: seconds(v.playableAfter), readyAfter: seconds(v.readyAfter), error: v.error, renditions: v.renditions,
            replicas: v.replicas ?? "-", warmings: v.warmings)
    }

    struct RenditionRow: Sendable {
        let name, kind, codecs, size: String
        let segments: Int
        let complete: String
    }

    func renditions(_ id: String) async throws -> [RenditionRow] {
        try await Catalog(pool: pool).renditionSummaries(id).map { r in
            let size = r.width.flatMap { w in r.height.map { "\(w)×\($0)" } } ?? "-"
            return RenditionRow(name: r.name, kind: r.kind, codecs: r.codecs, size: size, segments: r.segments, complete: r.complete ? "yes" : "no")
        }
    }

    struct PerTitleRow: Sendable {
        let rung, fixed, measured, chosen, size, psnr, note: String
    }

    struct PerTitleView: Sendable {
        let summary: String
        let fallback: String?
        let rows: [PerTitleRow]
    }

    /// What per-title planning chose for the video (nil: the fixed ladder, unmeasured).
    func perTitle(_ id: String) async throws -> PerTitleView? {
        guard let data = try await Catalog(pool: pool).perTitle(ofVideo: id),
            let record = try? JSONDecoder().decode(PerTitleRecord.self, from: data)
        else { return nil }
        var summary = ""
        if let m = record.measurement {
            summary = String(format: "CRF %.0f, %d samples of %.1f s, measured in %.2f s", m.crf, m.samples.count, m.sampleSeconds, m.seconds)
        }
        if let plan = record.plan { summary += String(format: "; the ladder spends %.0f %% of the fixed one's bits", plan.ladderRatio * 100) }
        let rows = (record.plan?.choices ?? []).map { (c: PerTitlePlan.Choice) -> PerTitleRow in
            let chosen = c.chosen > 0 ? String(c.chosen / 1000) : "left out"
            return PerTitleRow(rung: c.rung, fixed: String(c.fixed / 1000), measured: String(c.measured / 1000), chosen: chosen,
                               size: c.chosen > 0 ? c.size ?? c.rung : "", psnr: c.psnr.map { String(format: "%.2f", $0) } ?? "",
                               note: c.note ?? "")
        }
        return PerTitleView(summary: summary, fallback: record.fallback, rows: rows)
    }

    struct AV1Row: Sendable {
        let rung, bitrate, bytes, h264Bytes: String
    }

    struct AV1View: Sendable {
        let summary: String
        let error: String?
        let rows: [AV1Row]
        var hasRows: Bool { !rows.isEmpty }
    }

    /// The video's AV1 renditions: chosen, published or failed and why (nil: never chosen).
    func av1(_ id: String) async throws -> AV1View? {
        guard let data = try await Catalog(pool: pool).av1Record(ofVideo: id),
            let record = try? JSONDecoder().decode(AV1Record.self, from: data)
        else { return nil }
        var summary = record.state.rawValue + (record.plays.map { ", chosen at \($0) plays" } ?? "")
        if let seconds = record.seconds { summary += String(format: ", encoded in %.1f s", seconds) }
        if let ratio = record.bytesRatio { summary += String(format: "; %.0f %% of the H.264 renditions' bytes", ratio * 100) }
        let rows = (record.rungs ?? []).map {
            AV1Row(rung: $0.rung, bitrate: String($0.bitrate / 1000), bytes: String($0.bytes), h264Bytes: String($0.h264Bytes))
        }
        return AV1View(summary: summary, error: record.error, rows: rows)
    }

    struct ReplicaRow: Sendable {
        let region: String
        let objects, verified, pending, failed: Int
    }

    func replicas(_ id: String) async throws -> [ReplicaRow] {
        try await Catalog(pool: pool).replicaSummaries(id).map {
            ReplicaRow(region: $0.region, objects: $0.objects, verified: $0.verified, pending: $0.pending, failed: $0.failed)
        }
    }

    struct WarmingRow: Sendable {
        let edge, state, startedAt, message: String
        let objects: Int
    }

    func warmings(_ id: String) async throws -> [WarmingRow] {
        try await EdgeRecords(pool: pool).warmings(video: id).map {
            WarmingRow(edge: $0.edge, state: $0.state, startedAt: Self.time($0.startedAt), message: $0.error ?? "on \($0.reason)", objects: $0.objects)
        }
    }

    /// The video's jobs: those whose arguments name it.
    func videoJobs(_ id: String) async throws -> [JobRow] {
        try await JobQueue(pool: pool).jobs(argument: "video", equals: id).map(JobRow.init)
    }

    struct EdgeRow: Sendable {
        let name, region, url, healthy, hitRatio, hits, misses, bytesServed, offload, objects, measuredAt: String
        let warmings: Int
    }

    func edges() async throws -> [EdgeRow] {
        func text<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "-" }
        return try await EdgeRecords(pool: pool).summaries().map { e in
            EdgeRow(
                name: e.name, region: e.region, url: e.url, healthy: e.healthy ? "yes" : "no",
                hitRatio: e.hitRatio.map { String(format: "%.4f", $0) } ?? "-", hits: text(e.hits), misses: text(e.misses),
                bytesServed: text(e.bytesServed), offload: e.originOffload.map { String(format: "%.4f", $0) } ?? "-",
                objects: text(e.objects), measuredAt: e.measuredAt.map(Self.time) ?? "-", warmings: e.warmings)
        }
    }

    struct WebhookRow: Sendable {
        let id, tenant, url, state, attempts, succeeded, failed, p50, p99, last: String
        let disabled: Bool
    }

    struct AttemptRow: Sendable {
        let at, endpoint, event, attempt, status, milliseconds, answer: String
        let succeeded: Bool
    }

    func webhooks() async throws -> (endpoints: [WebhookRow], attempts: [AttemptRow]) {
        let milliseconds = { (value: Double?) in value.map { String(format: "%.1f", $0) } ?? "-" }
        let endpoints = try await Webhooks.summaries(pool: pool).map { e in
            WebhookRow(id: String(e.endpoint), tenant: e.tenant, url: e.url, state: e.state, attempts: String(e.attempts),
                       succeeded: String(e.succeeded), failed: String(e.failed), p50: milliseconds(e.p50Milliseconds),
                       p99: milliseconds(e.p99Milliseconds), last: e.lastAttempt.map(Self.time) ?? "-", disabled: e.state == "disabled")
        }
        let attempts = try await Webhooks.attempts(endpoint: nil, limit: 50, pool: pool).map { a in
            AttemptRow(at: Self.time(a.at), endpoint: String(a.endpointID), event: a.eventID, attempt: String(a.attempt),
                       status: a.status.map(String.init) ?? "none", milliseconds: milliseconds(a.latencyMilliseconds),
                       answer: String(a.response.prefix(120)), succeeded: a.succeeded)
        }
        return (endpoints, attempts)
    }

    static func time(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    static func seconds(_ value: Double?) -> String {
        value.map { String(format: "%.2f s", $0) } ?? "-"
    }

    static func pretty(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }
}
