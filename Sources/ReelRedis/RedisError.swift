/// An error from Redis or from the way Reel reached it.
///
/// Redis only caches, so the question a caller asks of this error is "do I
/// fall back to PostgreSQL?": `code == .unavailable` says yes (Redis refused,
/// timed out or dropped the connection), `.server` says Redis answered and
/// rejected the command (a bug to fix, not an outage to ride out).
/// `description` names the address and the command's name but not its
/// arguments (keys, cached values) nor the URL's password, so it is safe to
/// log; only Redis's own message may quote an argument (`ERR unknown command
/// 'X', with args beginning with: …`).
public struct RedisError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as an extensible set of cases.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: Sendable, Hashable {
            case unavailable, server, unexpectedReply, clientMisuse
        }
        let base: Base
        /// Redis could not be reached or stopped answering: connection refused,
        /// connect or command timeout, connection lost. Serve from the source of
        /// truth instead; the pool opens a fresh connection on the next call.
        public static let unavailable = Code(base: .unavailable)
        /// Redis replied with an error (`WRONGTYPE`, `ERR unknown command`, …).
        /// The connection stays usable.
        public static let server = Code(base: .server)
        /// Redis replied with a type the typed helper did not expect (for
        /// example an integer where GET returns a string).
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// Reel used the client wrongly: a malformed URL, a closed pool or
        /// connection, an empty command, a TTL under one millisecond.
        public static let clientMisuse = Code(base: .clientMisuse)
        public var description: String { "\(base)" }
    }

    public let code: Code
    /// What failed, in words: the server's message for `.server` (e.g.
    /// "WRONGTYPE Operation against a key holding the wrong kind of value"),
    /// hiredis's reason otherwise.
    public let message: String
    /// `host:port` of the server, when the failure involved one.
    public let address: String?
    /// The command's name (`GET`, `PIPELINE`, `CONNECT`), never its arguments.
    public let command: String?
    /// What to do about it.
    public let hint: String?

    public init(code: Code, message: String, address: String? = nil, command: String? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.address = address
        self.command = command
        self.hint = hint
    }

    /// The first word of a server error (`WRONGTYPE`, `ERR`, `NOAUTH`, …), the
    /// part of Redis's message meant for programs.
    public var serverErrorPrefix: String? {
        guard code == .server else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    public var description: String {
        let at = address ?? "?"
        var text: String
        switch code.base {
        case .unavailable where command == "CONNECT":
            text = "cannot connect to Redis at \(at): \(message)"
        case .unavailable:
            text = "Redis at \(at) is unavailable during \(command ?? "a command"): \(message)"
        case .server:
            text = "Redis at \(at) rejected \(command ?? "a command"): \(message)"
        case .unexpectedReply:
            text = "Redis at \(at) gave an unexpected reply to \(command ?? "a command"): \(message)"
        case .clientMisuse:
            text = message
        }
        if let hint { text += "; \(hint)" }
        return text
    }

    public var debugDescription: String { "RedisError(\(code)): \(description)" }
}

extension RedisError {
    /// The hint every `.unavailable` error carries.
    static let fallBackHint =
        "check that Redis runs and REEL_REDIS_URL points at it; callers serve from PostgreSQL meanwhile"
}
