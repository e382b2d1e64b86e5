import ArgumentParser
import Logging
import ReelObservability
import ReelPostgres
import ServiceLifecycle

/// `--metrics-port`: where a worker, the scheduler or an edge agent serves
/// `/metrics`, `/healthz` and `/readyz` (the API serves them on its own port).
struct MetricsOptions: ParsableArguments {
    @Option(help: "Port for /metrics, /healthz and /readyz (0 picks a free one; the log line says which; default: none).")
    var metricsPort: Int?
    @Option(help: "Address the metrics port listens on.")
    var metricsHost = "127.0.0.1"

    /// The metrics server as a service of the process's group, or nothing
    /// without a port. Ready while `pool` answers a query.
    func services(pool: PostgresPool, logger: Logger) -> [ServiceGroupConfiguration.ServiceConfiguration] {
        guard let metricsPort else { return [] }
        let host = metricsHost
        let app = MetricsServer.application(host: host, port: metricsPort, logger: logger, ready: {
            do {
                _ = try await pool.query("SELECT 1")
                return nil
            } catch {
                return "the database does not answer"
            }
        }, onRunning: { port in logger.notice("metrics on http://\(host):\(port)/metrics") })
        return [.init(service: app)]
    }
}
