import Foundation
public import ReelPostgres

/// The queue's client side: enqueue, inspect, cancel and retry jobs.
///
/// Cheap to copy; all state is in PostgreSQL. Enqueue inside your own
/// transaction with ``enqueue(_:on:)`` so the job exists if and only if your
/// transaction commits (the upload row and its ingest job, for example).
public struct JobQueue: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Enqueues one job. One statement in one round trip: `reel_insert_job`
    /// is atomic on its own, so no explicit transaction is needed.
    @discardableResult
    public func enqueue(_ request: JobRequest) async throws -> EnqueueResult {
        try request.validate()
        return try await pool.withConnection { conn in try await Self.enqueue(request, on: conn) }
    }

    /// Enqueues one job inside the caller's open transaction on `conn`.
    public static func enqueue(_ request: JobRequest, on conn: isolated PostgresConnection) throws -> EnqueueResult {
        try request.validate()
        let request = JobTraceContext.carrying(request)
        let rows = try conn.queryPrepared(
            "SELECT id, inserted, state FROM reel_insert_job($1, $2, $3, $4::jsonb, $5::smallint, $6, $7::timestamptz, $8, $9::bigint[], $10::jsonb)",
            [
                request.kind, request.queue, request.tenant, request.args, request.priority, request.maxAttempts,
                request.runAt ?? Date(timeIntervalSince1970: 0), request.uniqueKey, request.parents, request.meta,
            ])
        guard let row = rows.first, let state = JobState(rawValue: try row.decode(String.self, 2)) else {
            throw PostgresError(code: .protocolViolation, message: "reel_insert_job returned no row")
        }
        return EnqueueResult(id: try row.decode(Int64.self, 0), inserted: try row.decode(Bool.self, 1), state: state)
    }

    /// Enqueues many jobs at once with `COPY`, the fastest path (tens of
    /// thousands a second). Requests with a unique key or parents go through
    /// the row-by-row path in the same transaction, since COPY cannot resolve
    /// conflicts or lock parents. Returns the number of jobs inserted.
    @discardableResult
    public func enqueueMany(_ requests: [JobRequest]) async throws -> Int {
        for request in requests { try request.validate() }
        let (simple, special) = (requests.filter { $0.uniqueKey == nil && $0.parents.isEmpty },
                                 requests.filter { $0.uniqueKey != nil || !$0.parents.isEmpty })
        return try await pool.withTransaction { conn in
            var inserted = 0
            if !simple.isEmpty { inserted += try Self.copy(simple, on: conn) }
            for request in special where try Self.enqueue(request, on: conn).inserted { inserted += 1 }
            return inserted
        }
    }

    static func copy(_ requests: [JobRequest], on conn: isolated PostgresConnection) throws -> Int {
        let requests = requests.map(JobTraceContext.carrying)
        // Fair-share positions: continue each (queue, tenant) from its base.
        var next: [String: Int64] = [:]
        let groups = Set(requests.map { FairKey(queue: $0.queue, tenant: $0.tenant) })
        for group in groups {
            next[group.id] = try conn.query("SELECT reel_fair_base($1, $2)", [group.queue, group.tenant]).single(Int64.self)
        }
        // Send only the columns some request sets away from its default:
        // formatting and parsing fewer fields is most of COPY's cost.
        let now = Date()
        let defaults = JobRequest(kind: "")
        let timed = requests.contains { $0.runAt != nil }
        let differs: [String: Bool] = [
            "queue": requests.contains { $0.queue != defaults.queue },
            "tenant": requests.contains { $0.tenant != defaults.tenant },
            "priority": requests.contains { $0.priority != defaults.priority },
            "max_attempts": requests.contains { $0.maxAttempts != defaults.maxAttempts },
            "meta": requests.contains { $0.meta != defaults.meta },
        ]
        let columns: [(name: String, value: (JobRequest) -> (any PostgresEncodable)?)] = [
            ("kind", { $0.kind }),
            ("queue", { $0.queue }),
            ("tenant", { $0.tenant }),
            ("args", { $0.args }),
            ("priority", { $0.priority }),
            ("max_attempts", { $0.maxAttempts }),
            ("meta", { $0.meta }),
        ].filter { differs[$0.name] ?? true } + (timed ? [
            ("run_at", { $0.runAt ?? now }),
            ("state", { ($0.runAt ?? now) > now ? JobState.scheduled.rawValue : JobState.available.rawValue }),
        ] : [])
        // Lazy: rows are formatted while PostgreSQL ingests the previous chunk.
        let rows = requests.lazy.map { r -> [(any PostgresEncodable)?] in
            let key = FairKey(queue: r.queue, tenant: r.tenant).id
            let seq = next[key, default: 0]
            next[key] = seq + 1
            return columns.map { $0.value(r) } + [seq]
        }
        let names = (columns.map(\.name) + ["fair_seq"]).joined(separator: ", ")
        return try conn.copyFrom("COPY reel_jobs_live (\(names)) FROM STDIN", rows: rows)
    }

    private struct FairKey: Hashable {
        let queue: String, tenant: String
        var id: String { queue + "\u{0}" + tenant }
    }

    /// One job, or nil if there is none with that id.
    public func job(_ id: Int64) async throws -> Job? {
        let rows = try await pool.query("SELECT \(Job.columns) FROM reel_jobs WHERE id = $1", [id])
        return try Job.all(in: rows).first
    }

    /// Jobs matching `filter`, newest first.
    public func jobs(_ filter: JobFilter, limit: Int = 100) async throws -> [Job] {
        let (clause, binds) = filter.sql()
        let rows = try await pool.query(
            "SELECT \(Job.columns) FROM reel_jobs \(clause) ORDER BY id DESC LIMIT \(max(1, limit))", binds)
        return try Job.all(in: rows)
    }

    /// Cancels the unfinished jobs with these unique keys inside the caller's
    /// transaction (a deleted video's publishing chain); returns how many.
    @discardableResult
    public static func cancel(uniqueKeys: [String], reason: String, on conn: isolated PostgresConnection) throws -> Int {
        return try conn.query(
            "SELECT reel_cancel(ARRAY(SELECT id FROM reel_jobs_live WHERE unique_key = ANY($1::text[])), $2)", [uniqueKeys, reason]).single(Int.self)
    }

    /// Cancels jobs: waiting ones at once; running ones are asked to stop
    /// (their handler sees Task cancellation). Returns how many were affected.
    @discardableResult
    public func cancel(_ ids: [Int64], reason: String = "cancelled by an operator") async throws -> Int {
        return try await pool.query("SELECT reel_cancel($1::bigint[], $2)", [ids, reason]).single(Int.self)
    }

    /// Runs discarded, cancelled, retryable or scheduled jobs again now, with
    /// fresh attempts. Returns how many were put back.
    @discardableResult
    public func retry(_ ids: [Int64]) async throws -> Int {
        return try await pool.query("SELECT reel_retry($1::bigint[])", [ids]).single(Int.self)
    }

    /// Retries every job matching `filter` (e.g. all discarded transcodes).
    @discardableResult
    public func retry(matching filter: JobFilter) async throws -> Int {
        let (clause, binds) = filter.sql()
        return try await pool.query("SELECT reel_retry(ARRAY(SELECT id FROM reel_jobs \(clause)))", binds).single(Int.self)
    }

    /// Jobs whose JSON arguments have `key` equal to `value` (every job of
    /// one video: `argument: "video"`), oldest first.
    public func jobs(argument key: String, equals value: String, limit: Int = 100) async throws -> [Job] {
        let rows = try await pool.query(
            "SELECT \(Job.columns) FROM reel_jobs WHERE args->>$1 = $2 ORDER BY id LIMIT \(max(1, limit))", [key, value])
        return try Job.all(in: rows)
    }

    /// Cancels every job matching `filter`.
    @discardableResult
    public func cancel(matching filter: JobFilter, reason: String = "cancelled by an operator") async throws -> Int {
        let (clause, binds) = filter.sql(firstBind: 2)
        return try await pool.query("SELECT reel_cancel(ARRAY(SELECT id FROM reel_jobs \(clause)), $1)", [reason] + binds).single(Int.self)
    }

    /// Sets a queue's limits that hold across all workers. nil clears a limit.
    public func configure(queue: String, globalLimit: Int?, ratePerSecond: Double?, burst: Double? = nil, paused: Bool = false) async throws {
        if let globalLimit, globalLimit < 1 { throw QueueError(.invalidRequest, "a global limit must be at least 1") }
        if let ratePerSecond, ratePerSecond <= 0 { throw QueueError(.invalidRequest, "a rate limit must be above 0 jobs/s") }
        try await pool.query(
            """
            INSERT INTO reel_queues (name, global_limit, rate_per_second, rate_burst, tokens, paused)
            VALUES ($1, $2::int, $3::float8, $4::float8, coalesce($4::float8, 1), $5::boolean)
            ON CONFLICT (name) DO UPDATE SET global_limit = $2::int, rate_per_second = $3::float8,
                rate_burst = $4::float8, paused = $5::boolean, updated_at = now()
            """, [queue, globalLimit, ratePerSecond, burst, paused])
    }
}

/// Which jobs a listing, retry or cancel applies to.
///
/// A kind ending in `.*` names a family (`video.*` is every `video.` kind), so
/// an operator or a script can follow a whole pipeline without listing and
/// spelling each of its kinds.
public struct JobFilter: Sendable, Hashable {
    public var states: [JobState]
    public var queue: String?
    /// Any of these kinds or families; empty means every kind.
    public var kinds: [String]
    public var tenant: String?

    /// The one kind (or family) of a filter that names at most one, as a form shows it.
    public var kind: String? { kinds.count == 1 ? kinds[0] : nil }

    public init(states: [JobState] = [], queue: String? = nil, kind: String? = nil, kinds: [String] = [], tenant: String? = nil) {
        self.states = states
        self.queue = queue
        self.kinds = kinds + (kind.map { [$0] } ?? [])
        self.tenant = tenant
    }

    func sql(firstBind: Int = 1) -> (String, [(any PostgresEncodable)?]) {
        var conditions: [String] = []
        var binds: [(any PostgresEncodable)?] = []
        func bind(_ value: any PostgresEncodable) -> Int {
            binds.append(value)
            return firstBind + binds.count - 1
        }
        if !states.isEmpty { conditions.append("state::text = ANY($\(bind(states.map(\.rawValue)))::text[])") }
        if let queue { conditions.append("queue = $\(bind(queue))") }
        if !kinds.isEmpty {
            let families = kinds.filter { $0.hasSuffix(".*") }.map { Self.likePattern(prefix: String($0.dropLast())) }
            let exact = kinds.filter { !$0.hasSuffix(".*") }
            conditions.append("(kind = ANY($\(bind(exact))::text[]) OR kind LIKE ANY($\(bind(families))::text[]))")
        }
        if let tenant { conditions.append("tenant = $\(bind(tenant))") }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), binds)
    }

    /// `prefix` matched literally (its `%`, `_` and `\\` escaped), then anything.
    static func likePattern(prefix: String) -> String {
        var pattern = ""
        for c in prefix {
            if c == "%" || c == "_" || c == "\\" { pattern.append("\\") }
            pattern.append(c)
        }
        return pattern + "%"
    }
}
