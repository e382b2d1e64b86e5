/// Why a store operation failed, with a message meant for the operator: what
/// failed, on which object and store, and what to do.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No object with this digest in this store.
        case notFound
        /// The requested byte range starts past the end of the object.
        case invalidRange
        /// The bytes do not hash to the digest they were given or stored under.
        case digestMismatch
        /// The store cannot be reached or failed on its side; worth retrying.
        case unavailable
        /// The store refused the request (credentials, permissions, a bad
        /// configuration); retrying will not help until it is fixed.
        case rejected
        /// A local file could not be read or written.
        case io
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether trying again later can succeed.
    public var isTransient: Bool { code == .unavailable }

    public var description: String { message }
}
