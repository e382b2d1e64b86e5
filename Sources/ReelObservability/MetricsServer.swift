public import Hummingbird
public import Logging

/// `/metrics`, `/healthz` and `/readyz` on a port of a process's own (a
/// worker, the scheduler, an edge agent), so Prometheus and a load balancer
/// see every process, not only the API.
public enum MetricsServer {
    /// `ready` answers nil when the process can do its work, or why not
    /// (then `/readyz` is 503 with that reason).
    public static func application(
        host: String, port: Int, logger: Logger, ready: @escaping @Sendable () async -> String?,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: ReelMetrics.exposition())))
        }
        router.get("healthz") { _, _ in json(.ok, #"{"status":"ok"}"#) }
        router.get("readyz") { _, _ -> Response in
            guard let reason = await ready() else { return json(.ok, #"{"status":"ready"}"#) }
            return json(.serviceUnavailable, #"{"status":"not_ready","reason":"\#(escaped(reason))"}"#)
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "reel-metrics"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where c.value < 0x20: out += " "
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
