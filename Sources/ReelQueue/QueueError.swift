/// An error of the job queue's making, safe to show a user.
public struct QueueError: Error, Sendable, CustomStringConvertible, Hashable {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: Sendable, Hashable { case invalidRequest, notFound, unknownKind, conflict }
        let base: Base
        /// The request itself is wrong (bad JSON, empty kind, …); fix it and resend.
        public static let invalidRequest = Code(base: .invalidRequest)
        /// No such job or queue.
        public static let notFound = Code(base: .notFound)
        /// No handler is registered for the job's kind.
        public static let unknownKind = Code(base: .unknownKind)
        /// The job is in a state that does not allow the operation.
        public static let conflict = Code(base: .conflict)
        public var description: String { "\(base)" }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Thrown by a handler to say how its failure should be treated.
public enum JobFailure: Error, Sendable, CustomStringConvertible {
    /// Retrying cannot help (a corrupt video, invalid arguments): discard now.
    case permanent(String)

    public var description: String {
        switch self {
        case .permanent(let message): message
        }
    }
}
