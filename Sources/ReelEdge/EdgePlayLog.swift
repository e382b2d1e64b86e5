import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Counts an edge's plays from the edge's own request log, so master
/// playlists and MPDs can be cached at the edge and the origin's load stops
/// growing with plays. It reads `varnishncsa` (Varnish's log, from the edge's
/// shared memory: it runs on the edge's host) as a child process, one line per
/// answered playlist, and feeds a ``PlayCounter`` that writes them in batches.
/// A varnishncsa that exits (the edge restarted) is started again a second later.
public final class EdgePlayLog: Service, Sendable {
    let workdir: String
    let counter: PlayCounter
    let logger: Logger
    let binary: String
    private let child = Mutex<Process?>(nil)
    private let stopping = Atomic<Bool>(false)

    /// `workdir` is the edge's varnishd `-n` folder (what `reel edges add --workdir` took).
    public init(workdir: String, counter: PlayCounter, logger: Logger, binary: String = "varnishncsa") {
        self.workdir = workdir
        self.counter = counter
        self.logger = logger
        self.binary = binary
    }

    /// Client requests for a video's master playlist or MPD, as `STATUS PATH`
    /// (the path without its query). `-t off` waits for a varnishd that is not up yet.
    public static func arguments(workdir: String) -> [String] {
        ["-n", workdir, "-c", "-t", "off", "-F", "%s %U",
         "-q", #"ReqURL ~ "^/v1/videos/[A-Za-z0-9]{8,32}/(master\.m3u8|manifest\.mpd)""#]
    }

    /// The video a log line is a play of: a 2xx or 304 answer for
    /// `/v1/videos/ID/master.m3u8` or `/v1/videos/ID/manifest.mpd`; nil otherwise
    /// (a refusal, a missing video, anything else).
    public static func play(inLine line: Substring) -> String? {
        let fields = line.split(separator: " ", maxSplits: 1)
        guard fields.count == 2, let status = Int(fields[0]), (200..<300).contains(status) || status == 304 else { return nil }
        let parts = fields[1].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "v1", parts[2] == "videos",
              parts[4] == "master.m3u8" || parts[4] == "manifest.mpd" else { return nil }
        let id = parts[3]
        guard (8...32).contains(id.utf8.count), id.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else { return nil }
        return String(id)
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !stopping.load(ordering: .acquiring) {
                let status = await runOnce()
                if stopping.load(ordering: .acquiring) { break }
                logger.warning("varnishncsa exited; starting it again in 1 s", metadata: ["status": "\(status)", "workdir": "\(workdir)"])
                try? await Task.sleep(for: .seconds(1))
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
            self.child.withLock { Self.kill($0) }
        }
    }

    /// SIGKILL: the child inherits the SIGTERM and SIGINT this process's
    /// service group ignores (to catch them itself), so a SIGTERM would not stop it.
    /// It writes each line as it logs it; nothing is lost but what it never logged.
    private static func kill(_ process: Process?) {
        guard let process, process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// One varnishncsa, read to its end on a thread of its own (a blocking
    /// read has no place on the cooperative pool); returns its exit status.
    private func runOnce() async -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary.hasPrefix("/") ? binary : "/usr/bin/env")
        process.arguments = (binary.hasPrefix("/") ? [] : [binary]) + Self.arguments(workdir: workdir)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            logger.error("cannot start varnishncsa", metadata: ["error": "\(error)"])
            return -1
        }
        child.withLock { $0 = process }
        // A shutdown that came before the child was recorded.
        if stopping.load(ordering: .acquiring) { Self.kill(process) }
        let counter = self.counter
        return await withCheckedContinuation { continuation in
            let reader = Thread {
                var pending = Data()
                let handle = output.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                        pending.removeSubrange(pending.startIndex...newline)
                        if let video = EdgePlayLog.play(inLine: line[...]) { counter.count(video) }
                    }
                    // A line longer than any the format can make: drop it rather than grow.
                    if pending.count > 4096 { pending.removeAll() }
                }
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
            reader.name = "reel-edge-plays"
            reader.start()
        }
    }
}
