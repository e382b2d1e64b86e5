public import Foundation

/// What to enqueue: a kind of work, its arguments and how to run it.
public struct JobRequest: Sendable, Hashable {
    public var kind: String
    /// Arguments as a JSON object (text); validated before it reaches the database.
    public var args: String
    public var queue: String
    /// Who the work is for; jobs of one queue are shared fairly among tenants.
    public var tenant: String
    /// Lower runs first; 0 is the default.
    public var priority: Int
    public var maxAttempts: Int
    /// Not before this time (`scheduled` until then); nil for now.
    public var runAt: Date?
    /// A second enqueue with the same key returns the live job instead of a new one.
    public var uniqueKey: String?
    /// Jobs that must complete first; if one is discarded or cancelled, so is this.
    public var parents: [Int64]
    /// Free-form JSON kept with the job (trace ids, who submitted it).
    public var meta: String

    public init(
        kind: String, args: String = "{}", queue: String = "default", tenant: String = "", priority: Int = 0,
        maxAttempts: Int = 20, runAt: Date? = nil, uniqueKey: String? = nil, parents: [Int64] = [], meta: String = "{}"
    ) {
        self.kind = kind
        self.args = args
        self.queue = queue
        self.tenant = tenant
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.runAt = runAt
        self.uniqueKey = uniqueKey
        self.parents = parents
        self.meta = meta
    }

    /// A request whose arguments are an `Encodable` value.
    public init(kind: String, encoding args: some Encodable, queue: String = "default") throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.init(kind: kind, args: String(decoding: try encoder.encode(args), as: UTF8.self), queue: queue)
    }

    /// Checks the request before it reaches the database, with messages that
    /// say what is wrong and how to fix it.
    public func validate() throws(QueueError) {
        if kind.isEmpty { throw QueueError(.invalidRequest, "a job needs a kind (e.g. 'transcode')") }
        if queue.isEmpty { throw QueueError(.invalidRequest, "the queue name is empty") }
        if maxAttempts < 1 { throw QueueError(.invalidRequest, "max attempts must be at least 1, got \(maxAttempts)") }
        if priority < Int(Int16.min) || priority > Int(Int16.max) {
            throw QueueError(.invalidRequest, "priority \(priority) is out of range (\(Int16.min)…\(Int16.max))")
        }
        try JSONArgs.validateObject(args, what: "args")
        try JSONArgs.validateObject(meta, what: "meta")
    }
}

/// What enqueueing did.
public struct EnqueueResult: Sendable, Hashable, Codable {
    public let id: Int64
    /// False when a live job with the same unique key already existed.
    public let inserted: Bool
    public let state: JobState
}

enum JSONArgs {
    static func validateObject(_ text: String, what: String) throws(QueueError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw QueueError(.invalidRequest, "\(what) is not valid JSON (\(reason)): \(text.prefix(80))")
        }
        guard object is [String: Any] else {
            throw QueueError(.invalidRequest, "\(what) must be a JSON object like {\"key\": \"value\"}, got: \(text.prefix(80))")
        }
    }
}
