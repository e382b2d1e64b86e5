public import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOHTTP1
import Tracing

/// Reel's side of the edges: fetches through an edge as a viewer would (to
/// warm it), purges from it, and checks that it answers. Speaks plain HTTP,
/// so any CDN with prefetch-by-request and purge/ban over HTTP works alike.
public struct EdgeClient: Sendable {
    public let http: HTTPClient
    /// Sent in `X-Reel-Edge-Token` with PURGE and BAN (the VCL's token).
    public let token: String
    public var timeout: TimeAmount = .seconds(10)
    /// Requests in flight per warming: enough to overlap round trips, few
    /// enough not to crowd out viewers.
    public var parallel = 4

    public init(http: HTTPClient = .shared, token: String) {
        self.http = http
        self.token = token
    }

    /// What one warming did.
    public struct Warmed: Sendable, Equatable {
        public var objects = 0
        /// Of those, how many the edge already had (X-Cache-Status: HIT).
        public var alreadyCached = 0
        public var bytes: Int64 = 0
        /// "PATH: why", for objects the edge could not fetch.
        public var failures: [String] = []
    }

    /// An edge that could not be reached at all; the job retries.
    public struct Unreachable: Error, CustomStringConvertible {
        public let edge: String
        public let reason: String
        public var description: String { "edge \(edge) cannot be reached: \(reason); the job retries, and playback URLs use the origin meanwhile" }
    }

    /// Fetches every path through the edge, reading the whole body, so the
    /// edge stores it. A path the origin answers with 4xx (deleted meanwhile)
    /// is a failure of that path; a connection error ends the warming.
    public func warm(_ edge: Edge, paths: [String]) async throws -> Warmed {
        // One span per warming; each fetch carries its trace context, so the origin's
        // spans for what the edge missed join the trace (worker → edge → API).
        try await withSpan("edge.warm", ofKind: .client) { span in
            span.attributes["reel.edge"] = edge.name
            span.attributes["reel.paths"] = paths.count
            let warmed = try await warmEach(edge, paths: paths)
            span.attributes["reel.already_cached"] = warmed.alreadyCached
            return warmed
        }
    }

    private func warmEach(_ edge: Edge, paths: [String]) async throws -> Warmed {
        var result = Warmed()
        try await withThrowingTaskGroup(of: (String, FetchOutcome).self) { group in
            var pending = paths.makeIterator()
            func startNext() -> Bool {
                guard let path = pending.next() else { return false }
                group.addTask { (path, try await fetch(edge, path)) }
                return true
            }
            for _ in 0..<parallel where !startNext() { break }
            while let (path, outcome) = try await group.next() {
                if outcome.status == 200 {
                    result.objects += 1
                    result.bytes += outcome.bytes
                    if outcome.hit { result.alreadyCached += 1 }
                } else {
                    result.failures.append("\(path): HTTP \(outcome.status)")
                }
                _ = startNext()
            }
        }
        return result
    }

    struct FetchOutcome: Sendable {
        let status: UInt
        let hit: Bool
        let bytes: Int64
    }

    func fetch(_ edge: Edge, _ path: String) async throws -> FetchOutcome {
        let response: HTTPClientResponse
        do {
            var request = HTTPClientRequest(url: edge.url + path)
            if let context = ServiceContext.current {
                InstrumentationSystem.instrument.inject(context, into: &request.headers, using: HeadersInjector())
            }
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw Unreachable(edge: edge.name, reason: "GET \(path): \(error)")
        }
        var bytes: Int64 = 0
        do {
            for try await chunk in response.body { bytes += Int64(chunk.readableBytes) }
        } catch {
            throw Unreachable(edge: edge.name, reason: "GET \(path) broke off: \(error)")
        }
        return FetchOutcome(status: response.status.code, hit: response.headers.first(name: "x-cache-status") == "HIT", bytes: bytes)
    }

    /// Drops every cached URL of a video from the edge (`BAN /v1/videos/ID`).
    public func ban(_ edge: Edge, video: String) async throws {
        try await send("BAN", edge, "/v1/videos/\(video)")
    }

    /// Drops one cached URL from the edge.
    public func purge(_ edge: Edge, path: String) async throws {
        try await send("PURGE", edge, path)
    }

    func send(_ method: String, _ edge: Edge, _ path: String) async throws {
        var request = HTTPClientRequest(url: edge.url + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "X-Reel-Edge-Token", value: token)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw Unreachable(edge: edge.name, reason: "\(method) \(path): \(error)")
        }
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else {
            throw EdgeRefused(edge: edge.name, method: method, path: path, status: response.status.code,
                              body: String(buffer: body))
        }
    }

    /// True when the edge itself answers (its own health URL, not the origin's).
    public func check(_ edge: Edge, timeout: Duration = .seconds(3)) async -> Bool {
        let limit = TimeAmount.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        guard let response = try? await http.execute(HTTPClientRequest(url: edge.url + "/__reel/edge"), timeout: limit) else {
            return false
        }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }
}

/// An edge answered a PURGE or BAN with something else than 200: a wrong
/// token, or Reel's address missing from the edge's ACL.
public struct EdgeRefused: Error, CustomStringConvertible {
    public let edge: String
    public let method: String
    public let path: String
    public let status: UInt
    public let body: String
    public var description: String {
        "edge \(edge) refused \(method) \(path) with HTTP \(status) (\(body.prefix(200))): check that REEL_EDGE_TOKEN matches the "
            + "token its VCL was written with (reel edge-config) and that this machine's address is in its purgers ACL"
    }
}

/// Writes trace context (`traceparent`, `tracestate`) into request headers.
struct HeadersInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}
