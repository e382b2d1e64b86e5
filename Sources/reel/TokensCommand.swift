import ArgumentParser
import Foundation
import ReelAPI

/// `reel tokens`: the API tokens in the catalog (docs/security.md).
struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make, list and revoke API tokens (stored hashed in Postgres, with scopes upload, read-admin, admin).",
        subcommands: [List.self, Create.self, Revoke.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every live token (never the token itself: only its first characters).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Include revoked tokens.")
        var all = false

        func run() async throws {
            let tokens = try await database.withPool(size: 1) { try await TokenStore(pool: $0).list(includeRevoked: all) }
            if output.json { return try CLI.printJSON(tokens) }
            CLI.printTable(
                ["id", "name", "prefix", "scopes", "tenant", "uploads/min", "created", "last used", "revoked"],
                tokens.map {
                    [String($0.id), $0.name, $0.prefix, $0.scopes.map(\.rawValue).joined(separator: ","), $0.tenant,
                     $0.uploadsPerMinute.map(String.init) ?? "-", CLI.format($0.createdAt), CLI.format($0.lastUsedAt),
                     CLI.format($0.revokedAt)]
                })
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print it once: only its SHA-256 is stored, so keep it now.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "What the token is for (shown in lists and error messages).")
        var name: String
        @Option(name: .customLong("scope"), parsing: .upToNextOption,
                help: "What it may do: upload, read-admin (queues, jobs, dashboard), admin (also retry, cancel, delete). Repeatable.")
        var scopes: [String] = []
        @Option(help: "The tenant its uploads belong to (it then cannot upload as another).")
        var tenant = ""
        @Option(help: "Most new uploads a minute, across every API instance (default: no limit).")
        var uploadsPerMinute: Int?

        func run() async throws {
            let scopes = try self.scopes.flatMap { $0.split(separator: ",") }.map { text in
                guard let scope = TokenScope(rawValue: String(text)) else {
                    throw CLIError("unknown scope '\(text)': use \(TokenScope.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return scope
            }
            let made = try await database.withPool(size: 1) { pool in
                do {
                    return try await TokenStore(pool: pool).create(name: name, scopes: scopes, tenant: tenant, uploadsPerMinute: uploadsPerMinute)
                } catch let error as TokenError {
                    throw CLIError(error.description)
                }
            }
            if output.json {
                struct Made: Encodable { let token: String; let record: APIToken }
                return try CLI.printJSON(Made(token: made.token, record: made.record))
            }
            print(made.token)
            FileHandle.standardError.write(Data(
                "token \(made.record.id) '\(made.record.name)' with scopes \(made.record.scopes.map(\.rawValue).joined(separator: ", ")): send it as 'Authorization: Bearer TOKEN'; it is not shown again\n".utf8))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by id: the API refuses it from its next request.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The token's id (reel tokens list).")
        var id: Int64

        func run() async throws {
            let revoked = try await database.withPool(size: 1) { try await TokenStore(pool: $0).revoke(id) }
            guard revoked else { throw CLIError("no live token \(id): see `reel tokens list --all`") }
            print("revoked token \(id)")
        }
    }
}

/// `reel sign`: a signed playback URL, for an API started with REEL_PLAYBACK_KEY.
struct Sign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print signed playback URLs of a video (HLS, DASH, poster, player page), valid for --ttl seconds.")
    @Argument(help: "The video's id.")
    var video: String
    @Option(help: "Seconds the URLs stay valid.")
    var ttl = 3600
    @Option(help: "The API's base URL to put in front (default: $REEL_API_URL, else http://127.0.0.1:8080).")
    var api: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard let key = ProcessInfo.processInfo.environment["REEL_PLAYBACK_KEY"] else {
            throw CLIError("REEL_PLAYBACK_KEY is not set: sign with the key the API was started with")
        }
        let signer: PlaybackSigner
        do { signer = try PlaybackSigner(key: key) } catch let error as TokenError { throw CLIError(error.description) }
        guard ttl > 0 else { throw CLIError("--ttl must be at least 1 second") }
        let base = (api ?? ProcessInfo.processInfo.environment["REEL_API_URL"] ?? "http://127.0.0.1:8080").trimmingCharacters(in: ["/"])
        let expires = Date().addingTimeInterval(TimeInterval(ttl))
        let query = signer.query(video: video, expires: expires)
        let urls = [
            "hls": "\(base)/v1/videos/\(video)/master.m3u8?\(query)", "dash": "\(base)/v1/videos/\(video)/manifest.mpd?\(query)",
            "poster": "\(base)/v1/videos/\(video)/poster.jpg?\(query)", "player": "\(base)/v1/videos/\(video)/player?\(query)",
            "metadata": "\(base)/v1/videos/\(video)?\(query)",
        ]
        if output.json { return try CLI.printJSON(urls) }
        for name in ["hls", "dash", "poster", "player", "metadata"] { print("\(name)\t\(urls[name] ?? "")") }
    }
}
