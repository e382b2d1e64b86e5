import CHiredis
import ReelThreads
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One hiredis connection, with a thread of its own.
///
/// hiredis's blocking API waits in `connect(2)`, `write(2)` and `read(2)`;
/// every method here runs on the connection's ``ThreadExecutor``, so that
/// waiting parks this thread and never one of Swift's cooperative pool (which
/// has only as many threads as cores). Both waits are bounded: the connect
/// timeout covers reaching the server, the command timeout every read and
/// write after that, so a Redis that is down or stuck costs a caller at most
/// that long before it falls back to PostgreSQL.
///
/// A socket error or timeout leaves a hiredis context unusable, so the
/// connection then frees it, reports ``isReusable`` false and fails every
/// later call with `.unavailable`; a ``RedisPool`` drops it when it comes
/// back. A server error reply (`WRONGTYPE`, …) is not a connection problem:
/// it throws `.server` and the connection stays usable.
public actor RedisConnection {
    private let executor: ThreadExecutor
    private var context: UnsafeMutablePointer<redisContext>?
    /// Why the connection broke, once it has; nil while healthy or after ``close()``.
    private var lostReason: String?
    /// Mirror of "open and not broken", readable without hopping onto the
    /// connection's thread (the pool checks it on every release).
    private let usable = Atomic<Bool>(false)
    let endpoint: RedisEndpoint
    /// `host:port` of the server, for logs and errors (never the password).
    public nonisolated let address: String
    /// How long any one read or write may wait before the connection is
    /// declared unavailable.
    public nonisolated let commandTimeout: Duration

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Opens a connection, blocking in hiredis on the new connection's own thread.
    ///
    /// `url` is `redis://[[user]:password@]host[:port][/db]`; a password sends
    /// `AUTH`, a database other than 0 sends `SELECT`. Keep the timeouts short
    /// for a cache: a miss served by PostgreSQL is cheaper than a request that
    /// waits on a Redis which is not coming back. Timeouts under a millisecond
    /// count as one millisecond (zero would mean "wait forever" to hiredis).
    public static func connect(
        url: String,
        name: String = "reel-redis",
        connectTimeout: Duration = .seconds(1),
        commandTimeout: Duration = .seconds(1)
    ) async throws(RedisError) -> RedisConnection {
        try await connect(
            endpoint: RedisEndpoint(url: url), name: name, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    }

    static func connect(
        endpoint: RedisEndpoint, name: String, connectTimeout: Duration, commandTimeout: Duration
    ) async throws(RedisError) -> RedisConnection {
        let connection = RedisConnection(
            endpoint: endpoint, commandTimeout: commandTimeout, executor: ThreadExecutor(name: name))
        do {
            try await connection.open(connectTimeout: connectTimeout)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    private init(endpoint: RedisEndpoint, commandTimeout: Duration, executor: ThreadExecutor) {
        self.endpoint = endpoint
        self.address = endpoint.address
        self.commandTimeout = commandTimeout
        self.executor = executor
    }

    isolated deinit {
        if let context { redisFree(context) }
        executor.shutdown()
    }

    private func open(connectTimeout: Duration) throws(RedisError) {
        // This thread only ever runs this connection: keep a write to a socket
        // the server closed from raising SIGPIPE, whose default kills the process.
        _ = chiredis_block_sigpipe_on_this_thread()
        guard let ctx = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), Self.timeValue(connectTimeout)) else {
            throw RedisError(
                code: .unavailable, message: "hiredis could not allocate a connection", address: address,
                command: "CONNECT", hint: RedisError.fallBackHint)
        }
        context = ctx
        guard chiredis_error_code(ctx) == REDIS_OK else {
            let reason = String(cString: chiredis_error_string(ctx))
            throw RedisError(
                code: .unavailable, message: reason, address: address, command: "CONNECT", hint: RedisError.fallBackHint)
        }
        guard redisSetTimeout(ctx, Self.timeValue(commandTimeout)) == REDIS_OK else { throw lost("CONNECT") }
        usable.store(true, ordering: .releasing)
        do {
            if let password = endpoint.password {
                let user: [RedisArgument] = endpoint.username.map { [.string($0)] } ?? []
                try command(["AUTH"] + user + [.string(password)])
            }
            if endpoint.database != 0 { try command("SELECT", .integer(endpoint.database)) }
        } catch {
            guard error.code == .server else { throw error }
            throw RedisError(
                code: .server, message: error.message, address: address, command: error.command,
                hint: "check the user, password and database number in REEL_REDIS_URL")
        }
    }

    /// Closes the socket. The connection's thread ends when the last
    /// reference to the connection goes; calls after this throw `.clientMisuse`.
    public func close() {
        if let context { redisFree(context) }
        context = nil
        lostReason = nil
        usable.store(false, ordering: .releasing)
    }

    /// True while the connection is open and no socket error or timeout has
    /// hit it: fit to hand to the next user. Read without an actor hop.
    public nonisolated var isReusable: Bool { usable.load(ordering: .acquiring) }

    /// Sends one command and waits for its reply.
    ///
    /// An error reply throws `.server` with Redis's message and leaves the
    /// connection usable; no reply (refused, timeout, connection lost) throws
    /// `.unavailable` and breaks the connection.
    @discardableResult
    public func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        let name = RedisCommand(arguments).name
        let ctx = try live(name)
        try Self.validate(arguments)
        try append(ctx, arguments, name: name)
        let value = try readReply(ctx, name: name)
        if case .error(let message) = value {
            throw RedisError(code: .server, message: message, address: address, command: name)
        }
        return value
    }

    /// Sends one command written inline: `conn.command("INCRBY", .string(key), 5)`.
    @discardableResult
    public func command(_ arguments: RedisArgument...) throws(RedisError) -> RedisValue {
        try command(arguments)
    }

    /// Sends one prepared command, such as `.get(key)`.
    @discardableResult
    public func command(_ command: RedisCommand) throws(RedisError) -> RedisValue {
        try self.command(command.arguments)
    }

    /// Sends every command, then reads every reply: one round trip instead of
    /// one per command, which is what makes warming or invalidating hundreds
    /// of keys cheap.
    ///
    /// Replies come back in order, one per command. A command Redis rejects
    /// yields an `.error` value in its slot and the others still run (Redis
    /// has no transaction here; wrap them in MULTI/EXEC for that). A socket
    /// error or timeout throws `.unavailable` and breaks the connection,
    /// because the replies still in flight can no longer be matched up.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisValue] {
        if commands.isEmpty { return [] }
        let name = "PIPELINE"
        let ctx = try live(name)
        // Validate before queueing anything: a half-queued pipeline would
        // leave commands in hiredis's buffer for the next caller.
        for command in commands { try Self.validate(command.arguments) }
        for command in commands { try append(ctx, command.arguments, name: name) }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try readReply(ctx, name: name)) }
        return replies
    }

    // MARK: hiredis calls

    private func live(_ command: String) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        if let lostReason {
            throw RedisError(
                code: .unavailable, message: "the connection was lost earlier (\(lostReason))", address: address,
                command: command, hint: "take a new connection from the pool")
        }
        throw RedisError(code: .clientMisuse, message: "the Redis connection to \(address) is closed", command: command)
    }

    private static func validate(_ arguments: [RedisArgument]) throws(RedisError) {
        guard !arguments.isEmpty, arguments.count < Int(Int32.max) else {
            throw RedisError(code: .clientMisuse, message: "a Redis command needs a name and at most 2^31 arguments")
        }
    }

    /// Queues one command in hiredis's output buffer; nothing is sent yet.
    private func append(_ ctx: UnsafeMutablePointer<redisContext>, _ arguments: [RedisArgument], name: String) throws(RedisError) {
        var packed: [UInt8] = []
        packed.reserveCapacity(arguments.reduce(1) { $0 + $1.bytes.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            packed.append(contentsOf: argument.bytes)
            lengths.append(argument.bytes.count)
        }
        // One spare byte, so the buffer's address is never nil even when
        // every argument is empty; the lengths keep hiredis from sending it.
        packed.append(0)
        let status = packed.withUnsafeBytes { bytes in
            lengths.withUnsafeBufferPointer { lengths in
                chiredis_append_packed(
                    ctx, Int32(arguments.count), bytes.baseAddress?.assumingMemoryBound(to: CChar.self), lengths.baseAddress)
            }
        }
        guard status == REDIS_OK else { throw lost(name) }
    }

    /// Flushes what is queued and waits (at most the command timeout per
    /// read) for the next reply.
    private func readReply(_ ctx: UnsafeMutablePointer<redisContext>, name: String) throws(RedisError) -> RedisValue {
        guard let reply = chiredis_get_reply(ctx) else { throw lost(name) }
        defer { freeReplyObject(reply) }
        guard let value = RedisValue(reply: reply) else {
            throw lost(name, reason: "unknown reply type \(chiredis_reply_type(reply))")
        }
        return value
    }

    /// Frees a context hiredis has given up on and says why, in words a
    /// person on call understands.
    private func lost(_ command: String, reason: String? = nil) -> RedisError {
        var message = reason ?? "unknown error"
        if let context, reason == nil {
            let text = String(cString: chiredis_error_string(context))
            // SO_RCVTIMEO / SO_SNDTIMEO expiring shows up as EAGAIN in hiredis
            // 0.14 and as REDIS_ERR_TIMEOUT ("recv timeout") in later versions.
            let timedOut = ["temporarily unavailable", "timed out", "timeout"].contains { text.contains($0) }
            message = timedOut ? "no reply within the command timeout of \(commandTimeout) (\(text))" : text
        }
        if let context { redisFree(context) }
        context = nil
        lostReason = message
        usable.store(false, ordering: .releasing)
        return RedisError(
            code: .unavailable, message: message, address: address, command: command,
            hint: "the pool opens a new connection on the next call; callers serve from PostgreSQL meanwhile")
    }

    /// hiredis takes a `struct timeval`; zero there means "no timeout at all".
    static func timeValue(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = max(duration, .milliseconds(1)).components
        var value = timeval()
        value.tv_sec = .init(seconds)
        value.tv_usec = .init(attoseconds / 1_000_000_000_000)
        return value
    }
}
