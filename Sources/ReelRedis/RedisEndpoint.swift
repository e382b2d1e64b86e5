import Foundation

/// Where a connection goes and how it logs in, read from a `redis://` URL.
///
/// The accepted form is the one `redis-cli -u` takes (IANA's provisional
/// `redis` URI scheme): `redis://[[user]:password@]host[:port][/db]`, with the
/// port defaulting to 6379 and the database to 0. TLS (`rediss://`) is refused
/// with a clear error rather than silently connecting in plain text.
struct RedisEndpoint: Sendable, Hashable {
    var host: String
    var port: Int
    var database: Int
    var username: String?
    var password: String?

    /// `host:port`, for errors and logs; never the password.
    var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    init(host: String, port: Int = 6379, database: Int = 0, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
    }

    init(url: String) throws(RedisError) {
        func invalid(_ why: String) -> RedisError {
            RedisError(
                code: .clientMisuse, message: "invalid Redis URL: \(why)",
                hint: "use redis://host:port[/db], e.g. redis://127.0.0.1:6379/0, in REEL_REDIS_URL")
        }
        guard let schemeEnd = url.range(of: "://") else { throw invalid("it has no scheme") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        if scheme == "rediss" { throw invalid("TLS (rediss://) is not supported; use redis:// on a trusted network") }
        guard scheme == "redis" else { throw invalid("the scheme is \(scheme), not redis") }

        var rest = Substring(url[schemeEnd.upperBound...])
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = String(userInfo[..<colon])
                username = user.isEmpty ? nil : user.removingPercentEncoding ?? user
                let secret = String(userInfo[userInfo.index(after: colon)...])
                password = secret.removingPercentEncoding ?? secret
            } else if !userInfo.isEmpty {
                // redis-cli reads a lone user-info part as the password.
                password = String(userInfo).removingPercentEncoding ?? String(userInfo)
            }
        }

        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("an IPv6 host lacks its closing ]") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw invalid("junk after the host") }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            host = String(rest)
        }
        guard !host.isEmpty else { throw invalid("the host is missing") }

        port = 6379
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw invalid("the port '\(portText)' is not a number from 1 to 65535")
            }
            port = value
        }
        database = 0
        if !path.isEmpty {
            guard let value = Int(path), value >= 0 else { throw invalid("the database '\(path)' is not a number") }
            database = value
        }
    }
}
