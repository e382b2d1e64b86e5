import CHiredis

extension RedisValue {
    /// Copies a hiredis reply tree into Swift values, so the C reply can be
    /// freed at once and nothing outlives the connection's thread. Nil for a
    /// reply type RESP2 does not have (hiredis only builds those after
    /// `HELLO 3`, which Reel never sends).
    init?(reply: UnsafeMutablePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            self = .bulk(Self.bytes(r))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(r), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(r), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(r.integer))
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(r.elements)
            for index in 0..<r.elements {
                guard let child = chiredis_reply_element(reply, index), let value = RedisValue(reply: child) else {
                    return nil
                }
                elements.append(value)
            }
            self = .array(elements)
        default:
            return nil
        }
    }

    private static func bytes(_ reply: redisReply) -> [UInt8] {
        guard let text = reply.str, reply.len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: text, count: reply.len))
    }
}
