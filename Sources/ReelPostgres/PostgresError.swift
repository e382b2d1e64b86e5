/// An error from the database or from libpq.
///
/// `description` is safe to show a user (the server's primary message and its
/// SQLSTATE); the SQL text and connection details go to `debugDescription` only.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, as an extensible set of cases.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: Sendable, Hashable {
            case connectionFailed, connectionClosed, server, protocolViolation, decoding, copyFailed, clientMisuse, poolBusy
        }
        let base: Base
        /// Could not connect: the server is down, unreachable or refused us.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The connection broke while in use; retrying on a new one may work.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The server rejected the statement; see `sqlState`.
        public static let server = Code(base: .server)
        /// libpq returned something the wrapper did not expect.
        public static let protocolViolation = Code(base: .protocolViolation)
        /// A column could not be read as the requested Swift type.
        public static let decoding = Code(base: .decoding)
        /// COPY failed on the client side.
        public static let copyFailed = Code(base: .copyFailed)
        /// The wrapper was used wrongly (for example a closed connection).
        public static let clientMisuse = Code(base: .clientMisuse)
        /// Every connection of the pool stayed lent for the pool's whole `maxWait`.
        public static let poolBusy = Code(base: .poolBusy)
        public var description: String { "\(base)" }
    }

    public let code: Code
    /// The five-character SQLSTATE the server sent, if any (for example `23505`).
    public let sqlState: String?
    /// The server's or libpq's message, without the statement text.
    public let message: String
    /// Server DETAIL and HINT fields, when present.
    public let detail: String?
    public let hint: String?
    /// The statement that failed, for logs only.
    public let query: String?

    public init(code: Code, message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil, query: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.query = query
    }

    /// True when the statement failed because of a unique constraint (SQLSTATE 23505).
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// True when retrying on a fresh connection could succeed.
    public var isConnectionProblem: Bool {
        code == .connectionFailed || code == .connectionClosed || (sqlState?.hasPrefix("08") ?? false)
            || sqlState == "57P01" || sqlState == "57P02" || sqlState == "57P03"
            // read_only_sql_transaction: the session reached a standby; a new one finds the primary.
            || sqlState == "25006"
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        return text
    }

    public var debugDescription: String {
        var text = "PostgresError(\(code)): \(description)"
        if let query { text += "\nquery: \(query)" }
        return text
    }
}
