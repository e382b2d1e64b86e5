/// How long the HTTP server waits for a client and how many it holds at
/// once: a stranger that opens connections and trickles bytes must cost a
/// bounded number of sockets for a bounded time, while viewers are served.
public struct ServerLimits: Sendable, Hashable {
    /// Seconds from a connection's opening to the end of its first request
    /// head; a trickled head is cut off here.
    public var headerTimeout: Double = 10
    /// Seconds a request body may go without a byte arriving.
    public var bodyStallTimeout: Double = 30
    /// Seconds from the end of a response to the end of the next request's
    /// head on a kept-alive connection. Longer than the idle timeouts of the
    /// clients that keep connections (60 s for Varnish's backends and
    /// AsyncHTTPClient; nginx also uses 75 s): a client should close an idle
    /// connection before the server does, or its next request may meet the
    /// server's close.
    public var idleTimeout: Double = 75
    /// Open connections at most; further ones wait in the listen backlog.
    public var maxConnections = 4096
    /// Connections the kernel holds for the server before it accepts them (the
    /// kernel caps this at `net.core.somaxconn`). A burst of connections beyond
    /// it has its handshakes dropped and retried by the clients, so a stranger
    /// opening thousands at once delays everyone's connect by seconds; 4096
    /// holds such a burst while the server accepts and times it out.
    public var listenBacklog = 4096
    /// Seconds a request may wait for a database connection before it gets
    /// 503 with Retry-After (the pool is busy: shed load, don't queue it).
    public var databaseWait: Double = 2
    /// Milliseconds one statement of the API may run (PostgreSQL's statement_timeout).
    public var statementTimeoutMs = 5000
    /// Off only to measure what the defences cost (`scripts/bench/serve.sh`,
    /// `REEL_SERVER_DEFENCES=off`): no header, body-stall or idle timeout, no
    /// connection cap, no `Repr-Digest`. Never for a server that faces clients.
    public var defences = true

    public init() {}
}
