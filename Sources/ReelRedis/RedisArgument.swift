/// One argument of a Redis command, as the bytes sent on the wire.
///
/// Redis is binary-safe: a key or value may hold any byte, `\0` and `\r\n`
/// included, because hiredis sends each argument with its length (RESP bulk
/// strings, `$<length>\r\n<bytes>\r\n`). Literals read naturally at call sites
/// (`"GET"`, `100`); for values use the static members, which read like
/// English: `conn.command("SET", .string(key), .bytes(payload), "PX", .integer(500))`.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// The bytes sent for this argument.
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: some StringProtocol) { self.bytes = Array(string.utf8) }
    public init(_ integer: some BinaryInteger) { self.bytes = Array(String(integer).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }

    /// A text argument, sent as its UTF-8 bytes.
    public static func string(_ value: some StringProtocol) -> RedisArgument { RedisArgument(value) }
    /// A binary argument, sent as is.
    public static func bytes(_ value: [UInt8]) -> RedisArgument { RedisArgument(value) }
    /// A number, sent in decimal as Redis expects (`EXPIRE key 60`).
    public static func integer(_ value: some BinaryInteger) -> RedisArgument { RedisArgument(value) }
}
