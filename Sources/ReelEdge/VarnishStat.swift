public import Foundation

/// An edge's cache counters, cumulative since it started.
public struct EdgeCounters: Sendable, Equatable, Codable {
    public var hits: Int64
    public var misses: Int64
    public var passes: Int64
    /// Bytes of response bodies sent to viewers.
    public var clientBytes: Int64
    /// Bytes of response bodies fetched from the origin.
    public var originBytes: Int64
    public var objects: Int64

    public init(hits: Int64, misses: Int64, passes: Int64, clientBytes: Int64, originBytes: Int64, objects: Int64) {
        self.hits = hits
        self.misses = misses
        self.passes = passes
        self.clientBytes = clientBytes
        self.originBytes = originBytes
        self.objects = objects
    }

    public var hitRatio: Double? { hits + misses > 0 ? Double(hits) / Double(hits + misses) : nil }
}

/// Reads a local Varnish edge's counters with `varnishstat -j` (its shared
/// memory is only readable on its machine; a remote edge or a CDN reports
/// through its own API instead).
public enum VarnishStat {
    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs varnishstat on a thread of its own (it is a child process to wait for).
    public static func read(workdir: String, binary: String = "varnishstat") async throws -> EdgeCounters {
        let output: Data = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try run(binary, ["-j", "-n", workdir]))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "reel-varnishstat"
            thread.start()
        }
        return try parse(output)
    }

    static func run(_ binary: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [binary] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failed(description: "cannot run \(binary): \(error); install Debian's varnish package")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "\(binary) \(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)): "
                + "\(problem.trimmingCharacters(in: .whitespacesAndNewlines)); is the edge running with that -n folder?")
        }
        return data
    }

    /// Parses `varnishstat -j` (Varnish 6.5 and later: counters under "counters").
    public static func parse(_ json: Data) throws -> EdgeCounters {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw Failed(description: "varnishstat -j printed no JSON object")
        }
        let counters = (root["counters"] as? [String: Any]) ?? root
        func value(_ name: String) -> Int64 {
            guard let entry = counters[name] as? [String: Any] else { return 0 }
            return (entry["value"] as? NSNumber)?.int64Value ?? 0
        }
        guard counters["MAIN.cache_hit"] != nil else { throw Failed(description: "varnishstat -j has no MAIN.cache_hit counter") }
        // Bytes from the origin: the sum over every backend of every loaded VCL.
        let originBytes = counters.keys.filter { $0.hasPrefix("VBE.") && $0.hasSuffix(".beresp_bodybytes") }.reduce(Int64(0)) { $0 + value($1) }
        return EdgeCounters(
            hits: value("MAIN.cache_hit"), misses: value("MAIN.cache_miss"), passes: value("MAIN.s_pass"),
            clientBytes: value("MAIN.s_resp_bodybytes"), originBytes: originBytes, objects: value("MAIN.n_object"))
    }
}
