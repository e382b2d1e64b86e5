import Foundation
import Instrumentation
import ServiceContextModule
import Tracing

/// The trace a job belongs to travels in the job's `meta` as W3C trace
/// context (`traceparent`, `tracestate`), so the worker that runs it, on any
/// host, continues the trace of whatever enqueued it: an upload's request,
/// then each job its handler enqueues in turn.
enum JobTraceContext {
    struct MetaInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
    }

    struct MetaExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }

    /// `request` with the current trace context in its meta; unchanged when
    /// nothing is traced here or its meta already names a trace.
    static func carrying(_ request: JobRequest) -> JobRequest {
        guard let context = ServiceContext.current else { return request }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: MetaInjector())
        guard !carrier.isEmpty,
              var meta = (try? JSONSerialization.jsonObject(with: Data(request.meta.utf8))) as? [String: Any],
              meta["traceparent"] == nil
        else { return request }
        for (key, value) in carrier { meta[key] = value }
        guard let data = try? JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys]) else { return request }
        var traced = request
        traced.meta = String(decoding: data, as: UTF8.self)
        return traced
    }

    /// The context a job runs in: the enqueuer's trace when its meta carries one.
    static func context(of job: Job) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard job.meta.contains("traceparent"),
              let meta = (try? JSONSerialization.jsonObject(with: Data(job.meta.utf8))) as? [String: Any]
        else { return context }
        let carrier = meta.compactMapValues { $0 as? String }
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: MetaExtractor())
        return context
    }
}
