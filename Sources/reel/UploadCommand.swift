import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReelAPI

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a video file to a running `reel api`, with a progress bar; prints the new video's id and URLs.")

    @OptionGroup var output: OutputOptions
    @Argument(help: "The video file.")
    var file: String
    @Option(help: "The API's base URL (default: $REEL_API_URL, else http://127.0.0.1:8080).")
    var api: String?
    @Option(help: "A title for the video.")
    var title = ""
    @Flag(help: "Wait until the video is playable and print how long that took.")
    var wait = false
    @Flag(help: "Upload in chunks that survive broken connections (resumable upload); retries from where the server stopped.")
    var resumable = false
    @Option(name: .customLong("chunk-mib"), help: "Chunk size of a resumable upload, in MiB.")
    var chunkMiB = 8
    @Option(help: "Continue an earlier resumable upload (the path or URL it printed).")
    var resume: String?
    @Option(help: "An API token with the upload scope (default: $REEL_TOKEN; `reel tokens create --scope upload` makes one).")
    var token: String?

    /// The Authorization header's value, when there is a token.
    var authorization: String? {
        (token ?? ProcessInfo.processInfo.environment["REEL_TOKEN"]).flatMap { $0.isEmpty ? nil : "Bearer \($0)" }
    }

    var base: String { (api ?? ProcessInfo.processInfo.environment["REEL_API_URL"] ?? "http://127.0.0.1:8080").trimmingCharacters(in: ["/"]) }

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path), let size = attributes[.size] as? Int64 else {
            throw CLIError("cannot read \(file): no such file")
        }
        if resumable || resume != nil { return try await runResumable(url, size: size) }
        let handle = try FileHandle(forReadingFrom: url)
        let progress = ProgressBar(total: size, enabled: !output.json)
        let chunks = AsyncStream<ByteBuffer> { continuation in
            // Reads the file a chunk at a time on a thread of its own, as the upload drains it.
            Thread.detachNewThread {
                while let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty {
                    continuation.yield(ByteBuffer(bytes: data))
                    progress.advance(Int64(data.count))
                }
                try? handle.close()
                continuation.finish()
            }
        }
        let query = title.isEmpty ? "" : "?title=\(title.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")"
        var request = HTTPClientRequest(url: "\(base)/v1/uploads\(query)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: Upload.contentType(of: url))
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.body = .stream(chunks, length: .known(size))
        let started = Date()
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .hours(1))
        } catch {
            throw CLIError("cannot reach the API at \(base): \(error); is `reel api` running?")
        }
        let body = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
        progress.finish()
        try await report(response.status, body, started: started)
    }

    /// Prints what the API answered to the upload's last request.
    func report(_ status: HTTPResponseStatus, _ body: Data, started: Date) async throws {
        guard status == .created, let reply = try JSONSerialization.jsonObject(with: body) as? [String: Any],
            let id = reply["id"] as? String
        else {
            throw CLIError("the upload was refused (HTTP \(status.code)): \(String(decoding: body, as: UTF8.self))")
        }
        if wait {
            let status = try await waitUntilPlayable(id)
            if output.json { return try CLI.printCompactJSON(["id": id, "status": status, "seconds": String(format: "%.2f", Date().timeIntervalSince(started))]) }
            print(String(format: "video %@ is %@ %.2f s after the upload started", id, status, Date().timeIntervalSince(started)))
        } else if output.json {
            return print(String(decoding: body, as: UTF8.self))
        } else {
            print("uploaded \(file) as video \(id)")
        }
        print("  metadata  \(base)/v1/videos/\(id)")
        print("  HLS       \(base)/v1/videos/\(id)/master.m3u8")
        print("  DASH      \(base)/v1/videos/\(id)/manifest.mpd")
    }

    /// Polls the video until it is playable, ready or failed.
    /// Polls the video's metadata; signs the URL when $REEL_PLAYBACK_KEY is
    /// set (an API with signed playback answers nothing else).
    func waitUntilPlayable(_ id: String) async throws -> String {
        var url = "\(base)/v1/videos/\(id)"
        if let key = ProcessInfo.processInfo.environment["REEL_PLAYBACK_KEY"], !key.isEmpty {
            guard let signer = try? PlaybackSigner(key: key) else { throw CLIError("REEL_PLAYBACK_KEY is too short to sign with") }
            url += "?" + signer.query(video: id, expires: Date().addingTimeInterval(3600))
        }
        while true {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            let body = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
            if response.status == .forbidden || response.status == .unauthorized {
                throw CLIError("the API refused to show video \(id) (HTTP \(response.status.code)): with signed playback, set REEL_PLAYBACK_KEY so --wait can sign")
            }
            let status = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["status"] as? String ?? ""
            if status == "failed" {
                let reason = ((try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String) ?? "no reason given"
                throw CLIError("video \(id) failed: \(reason)")
            }
            if status == "playable" || status == "ready" { return status }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func contentType(of url: URL) -> String {
        switch url.pathExtension.lowercased() {
        case "mp4", "m4v": "video/mp4"
        case "mov": "video/quicktime"
        case "webm": "video/webm"
        case "mkv": "video/x-matroska"
        default: "application/octet-stream"
        }
    }
}

/// A one-line progress bar on stderr (unless --json is given).
final class ProgressBar: @unchecked Sendable {
    // Unchecked: `sent` and `shown` are guarded by `lock`.
    private let total: Int64
    private let enabled: Bool
    private let lock = NSLock()
    private var sent: Int64 = 0
    private var shown = -1

    init(total: Int64, enabled: Bool) {
        self.total = max(1, total)
        self.enabled = enabled
    }

    func advance(_ bytes: Int64) {
        guard enabled else { return }
        lock.withLock {
            sent += bytes
            let percent = Int(sent * 100 / total)
            guard percent != shown else { return }
            shown = percent
            let width = 30, filled = percent * width / 100
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\rupload [%@] %3d%% %@", bar, percent,
                                                       ByteCountFormatter.string(fromByteCount: sent, countStyle: .file)).utf8))
        }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
