import Tracing

/// A client span around one store operation, in the current trace (an
/// upload's, through the job that writes): which store, which object, how
/// many bytes, and the error when it failed.
public enum StoreSpan {
    public static func traced<T>(
        _ operation: String, store: String, digest: ObjectDigest? = nil,
        _ body: () async throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        let span = startSpan(operation, ofKind: .client)
        defer { span.end() }
        span.attributes["reel.store"] = store
        if let digest { span.attributes["reel.object"] = digest.hex }
        do {
            let value = try await body()
            if let put = value as? PutResult {
                span.attributes["reel.object"] = put.digest.hex
                span.attributes["reel.bytes"] = Int(put.size)
                span.attributes["reel.created"] = put.created
            }
            return value
        } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error, message: error.message))
            throw error
        }
    }
}
