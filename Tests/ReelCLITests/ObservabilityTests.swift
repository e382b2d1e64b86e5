import Foundation
import Testing
import ReelQueue
import ReelTesting

/// Every Reel process exports its metrics, and a real Prometheus (Debian's)
/// scrapes them: the test asks Prometheus, through its HTTP API, for what an
/// operator would graph.
@Suite struct ObservabilityTests {
    static func get(_ url: String) async throws -> (status: String, body: String) {
        let out = try await ChildProcess.tool("curl", ["-s", "--max-time", "10", "-w", "\n%{http_code}", url]).output
        let status = String(out.split(separator: "\n").last ?? "")
        return (status, String(out.dropLast(status.count)))
    }

    @Test func prometheusScrapesEveryProcessAndAnswersQuantilesAndQueueDepth() async throws {
        try await TestDatabase.withFresh { db in
            let api = try ReelProcess(["api", "--port", "0", "--open-uploads"], databaseURL: db.url,
                                      environment: ["REEL_DATA_DIR": TestObjectStores.freshFolder("api").path])
            let worker = try ReelProcess(["worker", "--demo-handlers", "--queues", "default=4", "--metrics-port", "0"], databaseURL: db.url)
            let scheduler = try ReelProcess(["scheduler", "--interval", "0.2", "--metrics-port", "0"], databaseURL: db.url)
            let apiAddress = try await api.address(after: "listening on http://")
            let workerAddress = try await worker.address(after: "metrics on http://")
            let schedulerAddress = try await scheduler.address(after: "metrics on http://")

            // Each process answers its own health and readiness.
            for address in [workerAddress, schedulerAddress] {
                #expect(try await Self.get("http://\(address)/healthz").status == "200")
                #expect(try await Self.get("http://\(address)/readyz").status == "200")
            }
            // Work to measure: jobs run by the worker, jobs waiting in a queue nobody works, requests.
            let queue = JobQueue(pool: db.pool)
            try await queue.enqueueMany((0..<20).map { _ in JobRequest(kind: "sleep", args: #"{"ms": 20}"#) })
            try await queue.enqueueMany((0..<7).map { _ in JobRequest(kind: "noop", args: "{}", queue: "nobody") })
            for _ in 0..<10 { _ = try await Self.get("http://\(apiAddress)/v1/videos/doesnotexist1234") }
            try await eventually(timeout: 60, "the 20 jobs to complete") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE state = 'completed'") == 20
            }

            let prometheus = try await TestPrometheus(targets: ["api": [apiAddress], "worker": [workerAddress], "scheduler": [schedulerAddress]])
            try await eventually(timeout: 60, "Prometheus to scrape all three processes") {
                let up = try await prometheus.query("up")
                return up.count == 3 && up.allSatisfy { $0.value == 1 }
            }
            try await eventually(timeout: 60, "request duration quantiles by route") {
                let p99 = try await prometheus.query(
                    "histogram_quantile(0.99, sum by (le, route, status) (reel_http_request_duration_seconds_bucket))")
                return p99.contains { $0.labels["route"] == "/v1/videos/{id}" && $0.labels["status"] == "404" && $0.value > 0 && $0.value.isFinite }
            }
            try await eventually(timeout: 60, "the queue depth of a queue nobody works") {
                let depth = try await prometheus.query(#"reel_queue_depth{queue="nobody",state="available"}"#)
                return depth.first?.value == 7
            }
            let oldest = try await prometheus.query(#"reel_queue_oldest_waiting_seconds{queue="nobody"}"#)
            #expect((oldest.first?.value ?? 0) > 0)
            let runs = try await prometheus.query(#"sum by (kind, outcome) (reel_job_run_seconds_count{job="worker"})"#)
            #expect(runs.contains { $0.labels["kind"] == "sleep" && $0.labels["outcome"] == "completed" && $0.value == 20 }, "\(runs)")
            let waits = try await prometheus.query(#"histogram_quantile(0.5, sum by (le, kind) (reel_job_wait_seconds_bucket))"#)
            #expect(waits.contains { $0.labels["kind"] == "sleep" && $0.value.isFinite })

            await prometheus.stop()
            for process in [api, worker, scheduler] {
                process.signal(SIGTERM)
                #expect(try await process.waitForExit() == 0, "\(process.log)")
            }
        }
    }

    /// Every line of a process's log as a JSON object (a line that is not one fails the test).
    static func jsonLines(_ log: String) -> [[String: Any]] {
        log.split(separator: "\n").compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON line: \(line)")
            return object
        }
    }

    @Test func logsAreJSONLinesWithTheIdsToJoinOn() async throws {
        try await TestDatabase.withFresh { db in
            let json = ["REEL_LOG_FORMAT": "json"]
            let id = try await JobQueue(pool: db.pool).enqueue(JobRequest(kind: "fail", args: #"{"permanent": true}"#)).id
            let worker = try ReelProcess(["worker", "--demo-handlers"], databaseURL: db.url, environment: json)
            try await eventually(timeout: 60, "the job to fail") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE id = $1 AND state = 'discarded'", [id]) == 1
            }
            worker.signal(SIGTERM)
            #expect(try await worker.waitForExit() == 0)
            let lines = Self.jsonLines(worker.log)
            #expect(lines.allSatisfy { $0["ts"] is String && $0["level"] is String && $0["msg"] is String && $0["logger"] as? String == "reel.worker" })
            let failed = lines.first { ($0["msg"] as? String) == "job failed" }
            #expect(failed?["job_id"] as? String == "\(id)", "\(worker.log)")
            #expect(failed?["kind"] as? String == "fail")

            // An API whose database is away: the request's 503 is logged with its request id.
            let api = try ReelProcess(["api", "--port", "0", "--open-uploads"], databaseURL: "postgresql://reel@127.0.0.1:1/reel",
                                      environment: json.merging(["REEL_DATA_DIR": TestObjectStores.freshFolder("api").path]) { $1 })
            let address = try await api.address(after: "listening on http://")
            #expect(try await Self.get("http://\(address)/v1/videos/somevideo123").status == "503")
            try await eventually(timeout: 30, "the API to log the request") { api.log.contains("catalog database unreachable") }
            api.signal(SIGTERM)
            #expect(try await api.waitForExit() == 0)
            let unreachable = Self.jsonLines(api.log).first { ($0["msg"] as? String) == "catalog database unreachable" }
            #expect((unreachable?["request_id"] as? String)?.isEmpty == false, "\(api.log)")
            #expect(unreachable?["path"] as? String == "/v1/videos/somevideo123")
        }
    }

    /// One span as the OTLP receiver (scripts/test-helpers/otlp-receiver.py) decoded it.
    struct ReceivedSpan: Decodable {
        let trace_id, span_id, parent_span_id, name, service: String
    }

    @Test func oneUploadIsOneConnectedTraceAcrossTheAPITheWorkerAndTheEdge() async throws {
        try await TestDatabase.withFresh { db in
            let folder = TestObjectStores.freshFolder("traces")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let spansFile = folder.appendingPathComponent("spans.jsonl")
            let receiverLog = folder.appendingPathComponent("receiver.log")
            let python = PackagePaths.root.appendingPathComponent(".venv-clients/bin/python").path
            let receiver = try SpawnedProcess(
                [python, PackagePaths.root.appendingPathComponent("scripts/test-helpers/otlp-receiver.py").path, spansFile.path],
                output: receiverLog)
            defer { receiver.signal(SIGKILL) }
            var collector = ""
            try await eventually(timeout: 30, "the OTLP receiver to listen") {
                let log = (try? String(contentsOf: receiverLog, encoding: .utf8)) ?? ""
                guard let range = log.range(of: "listening on ") else { return false }
                collector = String(log[range.upperBound...].prefix { !$0.isWhitespace })
                return true
            }
            let traced = ["OTEL_EXPORTER_OTLP_ENDPOINT": collector, "OTEL_BSP_SCHEDULE_DELAY": "200",
                          "REEL_DATA_DIR": folder.appendingPathComponent("data").path]
            let api = try ReelProcess(["api", "--port", "0", "--open-uploads"], databaseURL: db.url, environment: traced)
            let base = "http://" + (try await api.address(after: "listening on http://"))
            let worker = try ReelProcess(["worker", "--queues", "media=1,replication=2,edges=2"], databaseURL: db.url, environment: traced)
            // An edge in front of the API: the warming's fetches reach the API through Varnish.
            let vcl = try await ReelProcess.run(["edge-config", "--edge", "trace-1", "--origin", base, "--token", "trace-test-edge-token"],
                                                databaseURL: db.url)
            let edge = try await VarnishEdge(name: "trace-1", vcl: vcl.output)
            #expect(try await ReelProcess.run(["edges", "add", "trace-1", "--region", "eu", "--url", edge.url], databaseURL: db.url).status == 0)

            let upload = try await ReelProcess.run(["upload", "--json", try await TestClips.path("vertical.mp4"), "--api", base],
                                                   databaseURL: db.url)
            let uploaded = try JSONSerialization.jsonObject(with: Data(upload.output.utf8)) as? [String: Any]
            let video = try #require(uploaded?["id"] as? String, "\(upload.output)")
            // Alone this takes 15 s; with every suite starting at once on two cores, 95 s in one
            // fresh-clone CI run and more than 180 s in the next: wait long, it is not a speed check.
            try await eventually(timeout: 420, "the video to be ready, replicated and warmed") {
                let done = try await db.scalar(Int.self, """
                    SELECT count(*)::int FROM reel_jobs WHERE state = 'completed' AND args->>'video' = $1
                      AND kind IN ('video.ingest', 'video.transcode', 'video.package', 'replicate', 'edge.warm')
                    """, [video]) ?? 0
                return done >= 6
            }

            // The upload's request span is the root; every job it caused, and what those did, hangs from it.
            var trace: [ReceivedSpan] = []
            try await eventually(timeout: 60, "the trace's spans to arrive") {
                let lines = ((try? String(contentsOf: spansFile, encoding: .utf8)) ?? "").split(separator: "\n")
                let spans = lines.compactMap { try? JSONDecoder().decode(ReceivedSpan.self, from: Data($0.utf8)) }
                guard let ingest = spans.first(where: { $0.name == "video.ingest" }) else { return false }
                trace = spans.filter { $0.trace_id == ingest.trace_id }
                let names = Set(trace.map(\.name))
                return ["video.ingest", "video.transcode", "video.package", "replicate", "edge.warm"].allSatisfy(names.contains)
                    && trace.contains { $0.service == "reel-api" && $0.parent_span_id != "" }
            }
            let ids = Set(trace.map(\.span_id))
            let roots = trace.filter { $0.parent_span_id.isEmpty }
            #expect(roots.count == 1 && roots.first?.service == "reel-api", "\(roots.map(\.name))")
            #expect(trace.allSatisfy { $0.parent_span_id.isEmpty || ids.contains($0.parent_span_id) },
                    "spans whose parent is not in the trace: \(trace.filter { !$0.parent_span_id.isEmpty && !ids.contains($0.parent_span_id) }.map(\.name))")
            #expect(Set(trace.map(\.service)) == ["reel-api", "reel-worker"])
            #expect(trace.contains { $0.name == "file.put" && $0.service == "reel-worker" }, "the store writes")
            // The warming's fetches through the edge were answered by the API inside the same trace.
            let warm = try #require(trace.first { $0.name == "edge.warm" })
            #expect(trace.contains { $0.service == "reel-api" && $0.parent_span_id == warm.span_id }, "an API span under edge.warm")

            for process in [api, worker] {
                process.signal(SIGTERM)
                #expect(try await process.waitForExit() == 0, "\(process.log)")
            }
            await edge.stop()
        }
    }
}

