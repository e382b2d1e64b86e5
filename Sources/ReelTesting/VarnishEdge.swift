public import Foundation
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A real Varnish (Debian's varnishd) on a free loopback port, running a VCL
/// from `reel edge-config`, for tests: started in the foreground as our
/// child (`-F`), stopped by its PID, its working folder removed.
public final class VarnishEdge: @unchecked Sendable {
    public let name: String
    public let port: UInt16
    /// varnishd's `-n` folder: varnishstat reads the edge's counters there.
    public let workdir: URL
    private let process: SpawnedProcess
    private let log: URL

    public var url: String { "http://127.0.0.1:\(port)" }
    public var pid: Int32 { process.pid }
    public var isRunning: Bool { process.isRunning }

    /// Starts varnishd with `vcl` (the text) and `memory` of cache; waits until it answers.
    public init(name: String, vcl: String, memory: String = "64m") async throws {
        self.name = name
        let folder = TestObjectStores.freshFolder("edge-\(name)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        workdir = folder.appendingPathComponent("varnish")
        log = folder.appendingPathComponent("varnishd.log")
        let file = folder.appendingPathComponent("edge.vcl")
        try vcl.write(to: file, atomically: true, encoding: .utf8)
        port = try VarnishEdge.freePort()
        process = try SpawnedProcess(
            ["varnishd", "-F", "-a", "127.0.0.1:\(port)", "-f", file.path, "-n", workdir.path,
             "-s", "malloc,\(memory)", "-T", "none", "-p", "ban_lurker_sleep=0.01"],
            output: log)
        let base = url
        // varnishd compiles its VCL with the C compiler first: with several edges starting beside a
        // loaded test run on two cores, that took longer than 30 s in CI.
        try await eventually(timeout: 120, "varnishd \(name) to answer on \(base)") {
            guard self.process.isRunning else { throw ProxyError(message: "varnishd exited: \(self.output)") }
            return await VarnishEdge.answers(base + "/__reel/edge")
        }
    }

    /// A test that fails before ``stop()`` must not leave an edge running.
    deinit { process.signal(SIGKILL) }

    /// One of its counters as `varnishstat -j` reports it (e.g. `MAIN.backend_req`: fetches from the origin).
    public func counter(_ name: String) async throws -> Int64 {
        let out = try await ChildProcess.tool("varnishstat", ["-j", "-n", workdir.path, "-f", name])
        let json = (try JSONSerialization.jsonObject(with: Data(out.output.utf8))) as? [String: Any] ?? [:]
        let counters = (json["counters"] as? [String: Any]) ?? json
        return ((counters[name] as? [String: Any])?["value"] as? NSNumber)?.int64Value ?? -1
    }

    /// What varnishd printed.
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Stops it (SIGTERM to its process group, SIGKILL if it lingers) and
    /// waits for it; idempotent.
    public func stop() async {
        await process.stop(grace: 10)
    }

    public static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = TCPProxy.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw ProxyError(message: "cannot bind a loopback port: errno \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Does the edge's own health URL answer 200?
    static func answers(_ url: String) async -> Bool {
        guard let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 16)
        return response.status == .ok
    }
}
