import ArgumentParser
import Foundation
import ReelEdge
import ReelScheduler
import ReelPipeline
import ReelPostgres

/// `reel edge-config`: the VCL of one Varnish edge in front of an origin.
struct EdgeConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-config",
        abstract: "Print the Varnish VCL for an edge in front of a Reel origin (start varnishd with it: see docs/edges.md).")
    @Option(help: "The edge's name (letters, digits, - and _): it answers in X-Reel-Edge.")
    var edge: String
    @Option(help: "The read API the edge fetches from, e.g. http://127.0.0.1:8080.")
    var origin: String
    @Option(help: "Token PURGE and BAN must carry (at least 16 letters, digits, '-' or '_'; default: $REEL_EDGE_TOKEN).")
    var token: String?
    @Option(help: "Addresses or networks PURGE and BAN may come from (comma-separated).")
    var purgers = "127.0.0.1"
    @Option(help: "Cache memory, as varnishd's -s malloc takes it (e.g. 256m, 2g).")
    var memory = "256m"
    @Option(help: "Seconds a stale playlist may be served while a fresh one is fetched.")
    var playlistGrace = 10
    @Flag(help: "Playback needs signed URLs (the origin has REEL_PLAYBACK_KEY): the edge checks exp and sig, asking the origin once per signature.")
    var signed = false
    @Option(name: .customLong("cors-origin"),
            help: "A web page origin that may read what the edge serves, as the origin's --cors-origin (repeatable; default: $REEL_CORS_ORIGINS).")
    var corsOrigins: [String] = []
    @Flag(help: "Pass master playlists and MPDs to the origin instead of caching them (to measure the origin's load with and without; plays are still counted by the edge agent).")
    var passMasters = false

    func run() async throws {
        guard let url = URL(string: origin) else { throw CLIError("--origin '\(origin)' is not a URL") }
        let token = self.token ?? ProcessInfo.processInfo.environment["REEL_EDGE_TOKEN"] ?? ""
        let vcl = EdgeVCL(edge: edge, origin: url, token: token, purgers: purgers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                          memory: memory, playlistGrace: playlistGrace, signed: signed,
                          cors: corsOrigins.isEmpty ? CORSPolicy(list: ProcessInfo.processInfo.environment["REEL_CORS_ORIGINS"] ?? "")
                              : CORSPolicy(origins: corsOrigins))
        var configured = vcl
        configured.cacheMasters = !passMasters
        do {
            print(try configured.render(), terminator: "")
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// `reel edges`: the edge fleet, its hit ratio and origin offload.
struct Edges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the edges with hit ratio, bytes served and origin offload; add or remove edges.",
        subcommands: [List.self, Add.self, Remove.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every edge, from its latest counters (edge.stats jobs read them).")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let edges = try await database.withPool(size: 1) { pool in try await EdgeRecords(pool: pool).summaries() }
            try ReportPrinter.print(edges, columns: [
                "edge", "region", "url", "healthy", "hit_ratio", "hits", "misses", "bytes_served", "origin_bytes", "origin_offload",
                "objects", "measured_at", "warmings",
            ], json: output.json)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an edge (or change the one of that name).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The edge's name.") var name: String
        @Option(help: "The viewers' region it serves (their region hint).") var region: String
        @Option(help: "Its address, e.g. http://127.0.0.1:6081.") var url: String
        @Option(help: "Its cache memory in bytes.") var capacity: Int64 = 256 << 20
        @Option(help: "Its varnishd -n folder, when it runs on this machine (its counters are read from there).")
        var workdir: String?
        @Flag(help: "Keep it out of playback URLs, warming and purging.") var disabled = false

        func run() async throws {
            guard name.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression) != nil else {
                throw CLIError("edge name '\(name)' must be 1 to 64 letters, digits, '-' or '_'")
            }
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
                throw CLIError("--url '\(url)' must be an http:// or https:// URL")
            }
            let edge = Edge(name: name, region: region, url: url, capacityBytes: capacity, statsWorkdir: workdir, enabled: !disabled)
            try await database.withPool(size: 1) { pool in
                try await EdgeDirectory(pool: pool).save(edge)
                try await PeriodicJobs(pool: pool).install(ReelJobs.edgePeriodics.map {
                    PeriodicJobs.Definition(name: $0.name, cron: $0.cron, kind: $0.kind, queue: $0.queue, args: $0.args)
                })
            }
            print("edge \(name): \(edge.url), region \(region)\(disabled ? ", disabled" : "")")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an edge, its warmings and counters.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String

        func run() async throws {
            let removed = try await database.withPool(size: 1) { try await EdgeDirectory(pool: $0).remove(name) }
            guard removed else { throw CLIError("no edge named '\(name)'") }
            print("removed edge \(name)")
        }
    }
}
