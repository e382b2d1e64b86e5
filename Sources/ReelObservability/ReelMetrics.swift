import CoreMetrics
public import Prometheus

/// The process's metrics: swift-metrics, exported in Prometheus' text format
/// by swift-prometheus. Every module records through swift-metrics (`Counter`,
/// `Timer`, `Recorder`, `Gauge`) and never learns the backend; each process
/// serves the registry at `/metrics`.
public enum ReelMetrics {
    /// Seconds, for request, job-wait and job-run durations: 1 ms to 10 min.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]

    /// Ratios such as seconds of video transcoded per second.
    static let valueBuckets: [Double] = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]

    /// Hummingbird's MetricsMiddleware names things the OpenTelemetry way
    /// (`http.server.request.duration`, `http.route`); Prometheus wants
    /// `reel_http_request_duration_seconds` and `route`.
    static let names: [String: String] = [
        "http.server.request.duration": "reel_http_request_duration_seconds",
        "hb.requests": "reel_http_requests_total",
        "hb.request.errors": "reel_http_request_errors_total",
        "http.server.active_requests": "reel_http_active_requests",
    ]
    static let labels: [String: String] = [
        "http.route": "route", "http.request.method": "method", "http.response.status_code": "status", "error.type": "status",
    ]

    /// The process's registry. The first use bootstraps swift-metrics with
    /// it; a process bootstraps once, so every later use shares it.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = durationBuckets
        factory.defaultValueHistogramBuckets = valueBuckets
        factory.nameAndLabelSanitizer = { name, dimensions in
            (names[name] ?? prometheusName(name), dimensions.map { (labels[$0.0] ?? prometheusName($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Makes sure swift-metrics records into ``registry`` from now on.
    public static func bootstrap() { _ = registry }

    /// Everything recorded so far, in Prometheus' text format (0.0.4).
    public static func exposition() -> String { registry.emitToString() }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`: anything else becomes `_`.
    static func prometheusName(_ text: String) -> String {
        var out = ""
        for (i, c) in text.unicodeScalars.enumerated() {
            let ok = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || c == ":" || (i > 0 && c >= "0" && c <= "9")
            out.unicodeScalars.append(ok ? c : "_")
        }
        return out
    }
}
