import Foundation
public import Logging
import Synchronization

/// One JSON object per line on standard error, for log shippers (Loki,
/// Elasticsearch, CloudWatch): `ts`, `level`, `logger`, `msg`, then every
/// metadata field. The ids an operator joins on get the same name on every
/// line that has them, whatever the code called them: `request_id`
/// (Hummingbird's `hb.request.id`), `job_id`, `video_id`, `trace_id`.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The names the joinable ids go by in Reel's code, and the name each gets in a line.
    static let canonical: [String: String] = [
        "hb.request.id": "request_id", "job": "job_id", "video": "video_id", "trace": "trace_id", "trace.id": "trace_id",
    ]

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let own = event.metadata { fields.merge(own) { $1 } }
        var object: [String: Any] = [
            "ts": Self.timestamp(), "level": event.level.rawValue, "logger": label, "msg": event.message.description,
        ]
        for (key, value) in fields {
            object[Self.canonical[key] ?? key] = Self.json(value)
        }
        if let error = event.error { object["error"] = "\(error)" }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(UInt8(ascii: "\n"))
        Self.write(line)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        }
    }

    static func timestamp() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Whole lines, one writer at a time, so lines of concurrent tasks never interleave.
    private static let output = Mutex(())

    static func write(_ line: Data) {
        output.withLock { _ in
            line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Foundation.write(2, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
    }
}
