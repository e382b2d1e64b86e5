import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension Upload {
    /// A resumable upload: chunks sent with PATCH at the offset the server
    /// has; when a chunk fails, asks the server (HEAD) where it stands and
    /// goes on from there, up to 10 times in a row.
    func runResumable(_ url: URL, size: Int64) async throws {
        let started = Date()
        let path: String
        if let resume { path = uploadPath(resume) } else { path = try await open(size: size) }
        let progress = ProgressBar(total: size, enabled: !output.json)
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var offset = try await serverOffset(path)
        progress.advance(offset)
        var failures = 0
        while true {
            try handle.seek(toOffset: UInt64(offset))
            let chunk = try handle.read(upToCount: max(1, chunkMiB) << 20) ?? Data()
            var request = HTTPClientRequest(url: base + path)
            if let authorization { request.headers.add(name: "Authorization", value: authorization) }
            request.method = .PATCH
            request.headers.add(name: "Upload-Offset", value: "\(offset)")
            request.headers.add(name: "Content-Type", value: "application/offset+octet-stream")
            request.body = .bytes(ByteBuffer(bytes: chunk))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .minutes(10))
                let body = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
                if response.status == .created {
                    progress.advance(Int64(chunk.count))
                    progress.finish()
                    return try await report(response.status, body, started: started)
                }
                guard response.status == .noContent, let next = response.headers.first(name: "Upload-Offset").flatMap(Int64.init) else {
                    if response.status.code >= 400, response.status.code < 500, response.status != .conflict {
                        throw CLIError("the upload was refused (HTTP \(response.status.code)): \(String(decoding: body, as: UTF8.self))")
                    }
                    throw CLIError("HTTP \(response.status.code)")
                }
                progress.advance(next - offset)
                offset = next
                failures = 0
            } catch let error as CLIError where !error.description.hasPrefix("HTTP ") {
                throw error
            } catch {
                failures += 1
                guard failures <= 10 else {
                    progress.finish()
                    throw CLIError("the upload stopped at byte \(offset) of \(size) (\(error)); continue with: reel upload \(file) --resume \(path)")
                }
                try await Task.sleep(for: .milliseconds(200 * failures))
                let known = (try? await serverOffset(path)) ?? offset
                progress.advance(known - offset)
                offset = known
            }
        }
    }

    func open(size: Int64) async throws -> String {
        var request = HTTPClientRequest(url: "\(base)/v1/uploads/resumable")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.method = .POST
        request.headers.add(name: "Content-Type", value: Upload.contentType(of: URL(fileURLWithPath: file)))
        request.headers.add(name: "Upload-Length", value: "\(size)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = Data((try await response.body.collect(upTo: 1 << 20)).readableBytesView)
        guard response.status == .created, let reply = try JSONSerialization.jsonObject(with: body) as? [String: Any],
            let path = reply["url"] as? String
        else {
            throw CLIError("the API refused to open the upload (HTTP \(response.status.code)): \(String(decoding: body, as: UTF8.self))")
        }
        if !output.json { FileHandle.standardError.write(Data("resumable upload \(path)\n".utf8)) }
        return path
    }

    /// `--resume` takes the path the upload printed, or the whole URL.
    func uploadPath(_ text: String) -> String {
        if let range = text.range(of: "/v1/uploads/resumable/") { return String(text[range.lowerBound...]) }
        return "/v1/uploads/resumable/\(text)"
    }

    func serverOffset(_ path: String) async throws -> Int64 {
        var request = HTTPClientRequest(url: base + path)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        request.method = .HEAD
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok, let offset = response.headers.first(name: "Upload-Offset").flatMap(Int64.init) else {
            throw CLIError("no resumable upload at \(base)\(path) (HTTP \(response.status.code))")
        }
        return offset
    }
}
