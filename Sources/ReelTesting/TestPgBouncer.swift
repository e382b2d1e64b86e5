import Foundation

/// Debian's PgBouncer on a free loopback port in front of a PostgreSQL, in the
/// pool mode a test asks for, started in the foreground as our child (as the
/// `postgres` user: it refuses root) and stopped by its PID.
public final class TestPgBouncer: @unchecked Sendable {
    public let port: UInt16
    private let folder: URL
    private let process: SpawnedProcess

    /// The same database and user as `upstream`, through the pooler.
    public let url: String

    /// `upstream` is a libpq URL `postgresql://USER@HOST:PORT/DB`: the pooler
    /// serves DB under the same name to the same (trusted) user. It ignores the
    /// `options` startup parameter, so put the test's schema in the server's
    /// default (a ``TestPostgresServer`` of its own), not in the URL.
    public init(upstream: String, mode: String = "transaction", poolSize: Int = 8) async throws {
        guard let parts = URLComponents(string: upstream), let host = parts.host, let user = parts.user else {
            throw ProxyError(message: "cannot read \(upstream) as postgresql://USER@HOST:PORT/DB")
        }
        let database = String(parts.path.dropFirst())
        folder = try TestPostgresServer.makeFolder("pgbouncer")
        port = try VarnishEdge.freePort()
        let config = folder.appendingPathComponent("pgbouncer.ini")
        try """
            [databases]
            \(database) = host=\(host) port=\(parts.port ?? 5432) dbname=\(database)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(folder.appendingPathComponent("users.txt").path)
            pool_mode = \(mode)
            default_pool_size = \(poolSize)
            max_client_conn = 500
            ignore_startup_parameters = extra_float_digits,options
            """.write(to: config, atomically: true, encoding: .utf8)
        try "\"\(user)\" \"\"\n".write(to: folder.appendingPathComponent("users.txt"), atomically: true, encoding: .utf8)
        if getuid() == 0, let pw = getpwnam("postgres") {
            for file in ["pgbouncer.ini", "users.txt"] {
                chown(folder.appendingPathComponent(file).path, pw.pointee.pw_uid, pw.pointee.pw_gid)
            }
        }
        var through = parts
        through.host = "127.0.0.1"
        through.port = Int(port)
        url = through.string ?? upstream
        process = try SpawnedProcess(try TestPostgresServer.asPostgres(["pgbouncer", config.path]),
                                     output: folder.appendingPathComponent("pgbouncer.log"))
        try await TestPostgresServer.waitUntilServing(url, process) { self.log }
    }

    deinit { process.signal(SIGKILL) }

    public var log: String { (try? String(contentsOf: folder.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? "" }

    /// Stops it and removes its folder; idempotent.
    public func stop() async {
        await process.stop(grace: 5)
        try? FileManager.default.removeItem(at: folder)
    }
}
