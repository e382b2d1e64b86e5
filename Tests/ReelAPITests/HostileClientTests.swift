import Foundation
import ReelAPI
import ReelCatalog
import ReelPostgres
import ReelS3
import ReelStore
import ReelTesting
import Synchronization
import Testing

/// Raw TCP clients that misbehave: connect, send part of a request, stall.
final class SlowClients {
    private(set) var sockets: [Int32] = []

    /// Opens `count` connections to `port` and sends each `prefix` (an unfinished request).
    init(port: Int, count: Int, prefix: String) throws {
        for _ in 0..<count {
            let fd = try RawRequest.connect(port: port)
            _ = prefix.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            sockets.append(fd)
        }
    }

    deinit { for fd in sockets { close(fd) } }

    /// Sends one more byte on each (a trickle); false for those the server closed.
    func trickle(_ byte: String = "x") {
        for fd in sockets { _ = byte.withCString { send(fd, $0, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) } }
    }

    /// How many the server has closed (a read gives end of file or a reset).
    func closedCount() -> Int {
        var closed = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        for fd in sockets {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { closed += 1 }
            else if n > 0 {
                // An answer (a 4xx for a malformed head) followed by the close counts once the close arrives.
                var again = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&again, 1, 0) > 0, recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) == 0 { closed += 1 }
            }
        }
        return closed
    }
}

extension ExclusiveSuites {
    /// Slow and numerous clients cost the server a bounded number of sockets for
    /// a bounded time, and viewers are served meanwhile; a busy database sheds
    /// load with 503; error bodies never show the server's internals.
    @Suite(.serialized) struct HostileClientTests {
        static var tight: ServerLimits {
            var limits = ServerLimits()
            limits.headerTimeout = 2
            limits.bodyStallTimeout = 2
            limits.idleTimeout = 2
            return limits
        }

        @Test func thousandsOfHalfOpenRequestsAreClosedWhileAViewerIsServed() async throws {
            try await TestDatabase.withFresh { db in
                let api = try await APIHarness.start(db, worker: false, server: Self.tight)
                let port = Int(api.base.split(separator: ":").last ?? "") ?? 0
                // Heads that never end, a body that stalls, and heads that trickle a byte at a time.
                let halfOpen = try SlowClients(port: port, count: 2000, prefix: "GET /healthz HTTP/1.1\r\nHost: reel\r\nX-Slow: ")
                let stalled = try SlowClients(port: port, count: 50,
                                              prefix: "POST /v1/uploads HTTP/1.1\r\nHost: reel\r\nContent-Type: video/mp4\r\nContent-Length: 100000\r\n\r\n0123456789")
                let trickling = try SlowClients(port: port, count: 50, prefix: "GET /healthz HTTP/1.1\r\nX-Trickle: ")
                // A viewer is served while they all hang on.
                let served = try await api.request("GET", "/healthz")
                #expect(served.status == 200)
                let missing = try await api.request("GET", "/v1/videos/AAAAAAAAAAAA")
                #expect(missing.status == 404)
                var counts = (0, 0, 0)
                do {
                    try await eventually(timeout: 120, "the server to close every slow connection") {
                        trickling.trickle()
                        counts = (halfOpen.closedCount(), stalled.closedCount(), trickling.closedCount())
                        return counts.0 + counts.1 + counts.2 >= 2100
                    }
                } catch {
                    Issue.record("closed: \(counts.0)/2000 unfinished heads, \(counts.1)/50 stalled bodies, \(counts.2)/50 trickled heads")
                    throw error
                }
                #expect(try await api.request("GET", "/healthz").status == 200)
                try await api.stop()
            }
        }

        @Test func beyondTheConnectionCapClientsWaitTheirTurn() async throws {
            try await TestDatabase.withFresh { db in
                var limits = Self.tight
                limits.maxConnections = 20
                let api = try await APIHarness.start(db, worker: false, server: limits)
                let port = Int(api.base.split(separator: ":").last ?? "") ?? 0
                // The server accepts up to 4 connections per read, so it may hold 3 over its cap.
                let holders = try SlowClients(port: port, count: 23, prefix: "GET /healthz HTTP/1.1\r\nX-Slow: ")
                let started = ContinuousClock.now
                let served = try await api.request("GET", "/healthz")
                #expect(served.status == 200)
                // It was served only once the holders' slots were freed by the header timeout.
                try await eventually(timeout: 30, "the server to close a holder") { holders.closedCount() > 0 }
                #expect(ContinuousClock.now - started >= .seconds(1))
                try await api.stop()
            }
        }

        @Test func aBusyDatabaseShedsLoadWith503AndStatementsAreBounded() async throws {
            try await TestDatabase.withFresh { db in
                var limits = ServerLimits()
                limits.databaseWait = 0.2
                limits.statementTimeoutMs = 300
                let pool = ReelAPI.pool(url: db.url, connections: 1, limits: limits)
                let api = try await APIHarness.start(db, worker: false, server: limits, pool: pool)
                // Every connection is busy: the request is refused at once, not queued.
                // Held until the busy answer is in (at most a minute), however slow a loaded machine is.
                let holding = Atomic<Bool>(false), released = Atomic<Bool>(false)
                let hold = Task {
                    try await pool.withConnection { _ in
                        holding.store(true, ordering: .relaxed)
                        for _ in 0..<3000 where !released.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(20)) }
                    }
                }
                try await eventually(timeout: 30, "the pool's only connection to be held") { holding.load(ordering: .relaxed) }
                let busy = try await api.request("GET", "/v1/videos/BBBBBBBBBBBB")
                released.store(true, ordering: .relaxed)
                #expect(busy.status == 503 && busy.headers["retry-after"] == "1" && busy.text.contains("busy"), "\(busy.status) \(busy.text)")
                _ = try? await hold.value
                #expect(try await api.request("GET", "/v1/videos/BBBBBBBBBBBB").status == 404)
                // No statement of the API runs longer than its timeout.
                await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(2)") }
                await pool.close()
                try await api.stop()
            }
        }

        @Test func errorBodiesDoNotShowHostsBucketsOrPaths() async throws {
            try await TestDatabase.withFresh { db in
                let hidden = S3Configuration(endpoint: URL(string: "http://127.0.0.1:9")!, bucket: "secret-bucket-4711",
                                             accessKey: "AKIDSECRET", secretKey: "s3cr3t", requestTimeout: .seconds(2))
                let regions = try Regions([Region(name: "dark", store: S3Store(hidden))])
                let api = try await APIHarness.start(db, worker: false, regions: regions)
                let reply = try await api.request("POST", "/v1/uploads", headers: [("Content-Type", "video/mp4")], body: Data(count: 4096))
                #expect(reply.status == 503 && reply.headers["retry-after"] != nil, "\(reply.status)")
                for secret in ["127.0.0.1", ":9", "secret-bucket", "AKID", "/tmp", "spool", "http://"] {
                    #expect(!reply.text.contains(secret), "\(secret) in \(reply.text)")
                }
                try await api.stop()
            }
        }
    }
}

