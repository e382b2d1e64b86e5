import Foundation
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
        let rows = try await pool.query("SELECT queue, waiting, completed, coalesce(wait_p95_ms, 0) FROM reel_report_queue_minutes")
        var series: [(queue: String, depth: [Double], done: [Double], wait: [Double])] = []
        for row in rows {
            let queue = row.string(0) ?? ""
            if series.last?.queue != queue { series.append((queue, [], [], [])) }
            series[series.count - 1].depth.append(Double(row.string(1) ?? "") ?? 0)
            series[series.count - 1].done.append(Double(row.string(2) ?? "") ?? 0)
            series[series.count - 1].wait.append(Double(row.string(3) ?? "") ?? 0)
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

    static let videoColumns = """
        v.id, v.title, v.owner, v.status::text, v.created_at, extract(epoch FROM v.playable_at - v.created_at),
        extract(epoch FROM v.ready_at - v.created_at), v.error,
        (SELECT count(*) FROM renditions r WHERE r.video_id = v.id),
        (SELECT string_agg(region || ' ' || verified || '/' || objects, ', ' ORDER BY region) FROM video_replication p WHERE p.video_id = v.id),
        (SELECT count(*) FROM edge_warmings w WHERE w.video_id = v.id AND w.state = 'done')
        """

    func videos(status: String?, owner: String?, limit: Int) async throws -> [VideoRow] {
        let rows = try await pool.query(
            """
            SELECT \(Self.videoColumns) FROM videos v
            WHERE ($1::text IS NULL OR v.status::text = $1) AND ($2::text IS NULL OR v.owner = $2)
            ORDER BY v.created_at DESC LIMIT \(max(1, limit))
            """, [status, owner])
        return rows.map(Self.video)
    }

    func video(_ id: String) async throws -> VideoRow? {
        try await pool.query("SELECT \(Self.videoColumns) FROM videos v WHERE v.id = $1", [id]).first.map(Self.video)
    }

    static func video(_ row: PostgresRow) -> VideoRow {
        VideoRow(
            id: row.string(0) ?? "", title: row.string(1) ?? "", owner: row.string(2) ?? "", status: row.string(3) ?? "",
            createdAt: row.date(4).map(time) ?? "-", playableAfter: seconds(row.string(5)), readyAfter: seconds(row.string(6)),
            error: row.string(7), renditions: row.int(8) ?? 0, replicas: row.string(9) ?? "-", warmings: row.int(10) ?? 0)
    }

    struct RenditionRow: Sendable {
        let name, kind, codecs, size: String
        let segments: Int
        let complete: String
    }

    func renditions(_ id: String) async throws -> [RenditionRow] {
        let rows = try await pool.query(
            """
            SELECT r.name, r.kind, r.codecs, r.width, r.height, (SELECT count(*) FROM segments s WHERE s.video_id = r.video_id AND s.rendition = r.name),
                   r.complete
            FROM renditions r WHERE r.video_id = $1 ORDER BY r.kind DESC, r.height DESC NULLS LAST, r.name
            """, [id])
        return rows.map { row in
            let size = row.int(3).flatMap { w in row.int(4).map { "\(w)×\($0)" } } ?? "-"
            return RenditionRow(name: row.string(0) ?? "", kind: row.string(1) ?? "", codecs: row.string(2) ?? "", size: size,
                                segments: row.int(5) ?? 0, complete: (row.bool(6) ?? false) ? "yes" : "no")
        }
    }

    struct ReplicaRow: Sendable {
        let region: String
        let objects, verified, pending, failed: Int
    }

    func replicas(_ id: String) async throws -> [ReplicaRow] {
        let rows = try await pool.query(
            "SELECT region, objects, verified, objects - verified - failed, failed FROM video_replication WHERE video_id = $1 ORDER BY region", [id])
        return rows.map {
            ReplicaRow(region: $0.string(0) ?? "", objects: $0.int(1) ?? 0, verified: $0.int(2) ?? 0, pending: $0.int(3) ?? 0, failed: $0.int(4) ?? 0)
        }
    }

    struct WarmingRow: Sendable {
        let edge, state, startedAt, message: String
        let objects: Int
    }

    func warmings(_ id: String) async throws -> [WarmingRow] {
        let rows = try await pool.query(
            "SELECT edge, state, objects, started_at, reason, error FROM edge_warmings WHERE video_id = $1 ORDER BY started_at DESC LIMIT 50", [id])
        return rows.map {
            WarmingRow(edge: $0.string(0) ?? "", state: $0.string(1) ?? "", startedAt: $0.date(3).map(Self.time) ?? "-",
                       message: $0.string(5) ?? "on \($0.string(4) ?? "")", objects: $0.int(2) ?? 0)
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

    static func time(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    static func seconds(_ text: String?) -> String {
        text.flatMap(Double.init).map { String(format: "%.2f s", $0) } ?? "-"
    }

    static func pretty(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }
}
