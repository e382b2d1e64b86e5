import Foundation

/// Debian's Prometheus on a free loopback port, scraping the given targets
/// every second, for tests that ask it what it scraped through its HTTP API.
/// Started as our child, stopped by its PID, its folder removed.
public final class TestPrometheus: @unchecked Sendable {
    public let port: UInt16
    private let folder: URL
    private let process: SpawnedProcess

    public var url: String { "http://127.0.0.1:\(port)" }

    /// `targets` are `host:port` pairs by job name; each is scraped at `/metrics`.
    public init(targets: [String: [String]]) async throws {
        folder = TestObjectStores.freshFolder("prometheus")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = try VarnishEdge.freePort()
        var config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
        for (job, hosts) in targets.sorted(by: { $0.key < $1.key }) {
            config += "  - job_name: \(job)\n    static_configs:\n      - targets: [\(hosts.map { "'\($0)'" }.joined(separator: ", "))]\n"
        }
        let file = folder.appendingPathComponent("prometheus.yml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        process = try SpawnedProcess(
            ["prometheus", "--config.file=\(file.path)", "--storage.tsdb.path=\(folder.appendingPathComponent("data").path)",
             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"],
            output: folder.appendingPathComponent("prometheus.log"))
        let base = url
        try await eventually(timeout: 60, "Prometheus to answer on \(base)") {
            guard self.process.isRunning else { throw ProxyError(message: "prometheus exited: \(self.log)") }
            return (try? await ChildProcess.tool("curl", ["-fsS", "--max-time", "2", base + "/-/ready"]).status) == 0
        }
    }

    deinit { process.signal(SIGKILL) }

    public var log: String { (try? String(contentsOf: folder.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? "" }

    /// The values of an instant PromQL query's result (`/api/v1/query`), with their labels.
    public func query(_ promql: String) async throws -> [(labels: [String: String], value: Double)] {
        let out = try await ChildProcess.tool("curl", ["-fsS", "--max-time", "10", "-G", url + "/api/v1/query",
                                                       "--data-urlencode", "query=\(promql)"]).output
        guard let body = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
              let data = body["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else {
            throw ProxyError(message: "Prometheus answered \(out)")
        }
        return result.map { sample in
            let labels = sample["metric"] as? [String: String] ?? [:]
            let value = ((sample["value"] as? [Any])?.last as? String).flatMap(Double.init) ?? .nan
            return (labels, value)
        }
    }

    public func stop() async {
        await process.stop(grace: 10)
        try? FileManager.default.removeItem(at: folder)
    }
}
