import Foundation
public import Logging
import OTel
public import ServiceLifecycle

/// Traces through swift-distributed-tracing, exported over OTLP/HTTP by
/// swift-otel, when the operator points Reel at a collector with the
/// standard variables (`OTEL_EXPORTER_OTLP_ENDPOINT` or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; `OTEL_SERVICE_NAME`,
/// `OTEL_BSP_SCHEDULE_DELAY` and the rest are honoured too). Without either,
/// no tracer is installed and a span costs nothing.
public enum ReelTracing {
    /// `trace_id` and `span_id` of the current span on every log line written inside one.
    public static var logMetadata: Logger.MetadataProvider { OTel.makeLoggingMetadataProvider() }

    /// Installs the tracer and returns the service that exports its spans (run
    /// it first in the process's service group, so it stops last and flushes),
    /// or nil when tracing is off. `service` names the process (`reel-api`…)
    /// unless `OTEL_SERVICE_NAME` does.
    public static func bootstrap(service: String, logger: Logger) throws -> (any Service)? {
        let environment = ProcessInfo.processInfo.environment
        guard [environment["OTEL_EXPORTER_OTLP_ENDPOINT"], environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]]
            .contains(where: { !($0 ?? "").isEmpty })
        else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.protocol = .httpProtobuf
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        let exporter = try OTel.bootstrap(configuration: configuration)
        logger.notice("exporting traces over OTLP/HTTP")
        return exporter
    }
}
