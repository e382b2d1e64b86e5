/// A reply from Redis, in RESP2's six shapes.
///
/// Kept close to the protocol so nothing is lost (bulk strings stay bytes);
/// the accessors below answer the usual questions without a `switch`.
/// Inside a ``RedisConnection/pipeline(_:)`` a failed command is an `.error`
/// value in its slot rather than a thrown error, so one bad command does not
/// hide the replies of the others.
public enum RedisValue: Sendable, Hashable {
    /// A status reply such as `+OK` or `+PONG`.
    case status(String)
    /// A bulk string: any bytes, `\0` and `\r\n` included.
    case bulk([UInt8])
    /// An integer reply (`DEL`, `INCR`, `TTL`, …).
    case integer(Int64)
    /// A multi-bulk reply (`MGET`, `KEYS`, `EXEC`, …).
    case array([RedisValue])
    /// A missing value: `GET` of an absent key, an absent key in `MGET`.
    case null
    /// An error reply, with Redis's message (`WRONGTYPE Operation against…`).
    case error(String)

    /// The bytes of a bulk string or status; nil for other shapes.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// A bulk string or status as UTF-8 text (invalid bytes are replaced).
    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The integer of an integer reply.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The elements of an array reply.
    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// True for a null reply.
    public var isNull: Bool { self == .null }

    /// Redis's message when this is an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
