public import Foundation
import ReelPostgres

/// A PostgreSQL server of a test's own (Debian's binaries, a fresh data folder,
/// a free loopback port), for what the shared test database cannot show: a hot
/// standby fed by streaming replication, a primary that stops, a promotion.
/// The server runs in the foreground as our child under the `postgres` user
/// (it refuses root), so it is stopped by its PID.
public final class TestPostgresServer: @unchecked Sendable {
    public let port: UInt16
    public let folder: URL
    private let process: SpawnedProcess
    private var data: URL { folder.appendingPathComponent("data") }

    /// `postgresql://reel@127.0.0.1:PORT/reel`: the database `primary()` creates.
    public var url: String { "postgresql://reel@127.0.0.1:\(port)/reel" }
    public var isRunning: Bool { process.isRunning }

    /// A new primary with the role `reel` (trusted, on loopback only) and the database `reel`.
    public static func primary() async throws -> TestPostgresServer {
        let folder = try makeFolder("pg-primary")
        let data = folder.appendingPathComponent("data")
        try await runAsPostgres([try binary("initdb"), "-D", data.path, "-U", "reel", "--auth=trust", "-E", "UTF8", "--locale=C"])
        let server = try await TestPostgresServer(folder: folder)
        let admin = try await PostgresConnection.connect("postgresql://reel@127.0.0.1:\(server.port)/postgres")
        try await admin.execute("CREATE DATABASE reel")
        await admin.close()
        return server
    }

    /// A hot standby of this server, copied with `pg_basebackup -R` and
    /// streaming from it; returns once it accepts read-only connections.
    public func standby() async throws -> TestPostgresServer {
        let folder = try Self.makeFolder("pg-standby")
        try await Self.runAsPostgres([
            try Self.binary("pg_basebackup"), "-h", "127.0.0.1", "-p", "\(port)", "-U", "reel",
            "-D", folder.appendingPathComponent("data").path, "-R", "-X", "stream", "-c", "fast",
        ])
        return try await TestPostgresServer(folder: folder)
    }

    private init(folder: URL) async throws {
        self.folder = folder
        port = try VarnishEdge.freePort()
        let data = folder.appendingPathComponent("data")
        process = try SpawnedProcess(
            try Self.asPostgres([
                try Self.binary("postgres"), "-D", data.path, "-p", "\(port)", "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=\(folder.path)", "-c", "shared_buffers=32MB", "-c", "max_connections=100",
                "-c", "hot_standby=on", "-c", "wal_level=replica",
            ]),
            output: folder.appendingPathComponent("postgres.log"))
        try await Self.waitUntilServing("postgresql://reel@127.0.0.1:\(port)/postgres", process) { self.log }
    }

    /// Waits until `url` takes a connection; fails early, with the log, if `process` exits.
    static func waitUntilServing(_ url: String, _ process: SpawnedProcess, log: @escaping @Sendable () -> String) async throws {
        try await eventually(timeout: 60, "\(url) to accept connections") {
            guard process.isRunning else { throw ProxyError(message: "the server exited: \(log())") }
            guard let connection = try? await PostgresConnection.connect(url) else { return false }
            await connection.close()
            return true
        }
    }

    deinit { process.signal(SIGKILL) }

    /// What the server logged.
    public var log: String { (try? String(contentsOf: folder.appendingPathComponent("postgres.log"), encoding: .utf8)) ?? "" }

    /// Ends a standby's recovery (`pg_ctl promote`) and waits until it takes writes.
    public func promote() async throws {
        try await Self.runAsPostgres([try Self.binary("pg_ctl"), "promote", "-D", data.path, "-w"])
        try await eventually(timeout: 60, "the promoted server to leave recovery") {
            let connection = try await PostgresConnection.connect(url)
            let inRecovery = try await connection.query("SELECT pg_is_in_recovery()").single(Bool.self)
            await connection.close()
            return !inRecovery
        }
    }

    /// A fast shutdown (SIGINT: sessions are ended, WAL is sent to the
    /// standbys first), then SIGKILL if it lingers; idempotent.
    public func stop() async {
        process.signal(SIGINT)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        await process.stop(grace: 1)
    }

    /// Stops the server and removes its folder.
    public func remove() async {
        await stop()
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: Running Debian's binaries as the postgres user

    static func binary(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for version in versions.sorted(by: { $0.compare($1, options: .numeric) == .orderedDescending }) {
            let path = root.appendingPathComponent(version).appendingPathComponent("bin").appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw ProxyError(message: "no \(name) under /usr/lib/postgresql/*/bin: install Debian's postgresql")
    }

    /// The arguments run as `postgres` when we are root (`setpriv` execs in
    /// place, so signals reach the server itself), unchanged otherwise.
    static func asPostgres(_ arguments: [String]) throws -> [String] {
        guard getuid() == 0 else { return arguments }
        guard getpwnam("postgres") != nil else { throw ProxyError(message: "running as root but there is no postgres user") }
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + arguments
    }

    static func runAsPostgres(_ arguments: [String]) async throws {
        let outcome = try await ChildProcess.run(try asPostgres(arguments))
        guard outcome.status == 0 else {
            throw ProxyError(message: "\(arguments.first ?? "") failed (\(outcome.status)): \(outcome.output)")
        }
    }

    /// A fresh folder the postgres user owns.
    static func makeFolder(_ name: String) throws -> URL {
        let folder = TestObjectStores.freshFolder(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if getuid() == 0, let user = getpwnam("postgres") {
            guard chown(folder.path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw ProxyError(message: "cannot give \(folder.path) to postgres: errno \(errno)")
            }
        }
        chmod(folder.path, 0o700)
        return folder
    }
}
