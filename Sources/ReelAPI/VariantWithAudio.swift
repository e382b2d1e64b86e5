import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ReelCatalog
import ReelManifests
import ReelStore

extension ReelAPI {
    /// `GET /v1/videos/{id}/{rung}.av/init.mp4|{n}.m4s`: the HLS variant of a
    /// rung that carries the audio (``MuxedVariant``), spliced on each request
    /// from the two stored objects, so nothing is stored twice. The answer is
    /// as immutable as its parts: its ETag names both digests, edges keep it a
    /// year, and `Repr-Digest` is the SHA-256 of the spliced bytes.
    func variantWithAudio(_ rendition: PlaybackRendition, file: String, request: Request, of playback: Playback) async throws -> Response {
        let folder = MuxedVariant.folder(of: rendition.name)
        guard let audio = playback.renditions.first(where: { $0.kind == "audio" }) else {
            throw APIError.notFound("video \(playback.video.id) has no audio: its rungs play from \(rendition.name)/, not \(folder)/")
        }
        let parts: (video: String, audio: String?)
        let number: Int?
        if file == "init.mp4" {
            parts = (rendition.initDigest, audio.initDigest)
            number = nil
        } else {
            guard file.hasSuffix(".m4s"), let n = Int(file.dropLast(4)) else {
                throw APIError.notFound("no \(file) in \(folder): try index.m3u8, init.mp4 or N.m4s")
            }
            guard let segment = rendition.segments.first(where: { $0.number == n }) else {
                throw APIError.notFound("segment \(n) of \(folder) is not stored \(rendition.complete ? "(the rendition has \(rendition.segments.count))" : "yet")")
            }
            let sound = audio.segments.first { $0.number == n }
            guard sound != nil || audio.complete else { throw APIError.notFound("segment \(n) of \(folder) is not stored yet") }
            parts = (segment.digest, sound?.digest)
            number = n
        }
        guard let videoDigest = ObjectDigest(hex: parts.video), parts.audio.map({ ObjectDigest(hex: $0) != nil }) ?? true else {
            throw APIError.notFound("\(file) of \(folder) is not stored yet")
        }
        let etag = "\"av-\(videoDigest.hex.prefix(32))-\(parts.audio?.prefix(32) ?? "none")\""
        var headers = await immutableHeaders(etag: etag, type: "video/mp4", request: request, of: playback)
        if let match = request.headers[.ifNoneMatch], match == etag || match == "*" {
            return Response(status: .notModified, headers: headers)
        }
        let video = Array(try await read(videoDigest, range: nil, request: request).bytes.readableBytesView)
        var sound: [UInt8]?
        if let digest = parts.audio.flatMap(ObjectDigest.init(hex:)) {
            sound = Array(try await read(digest, range: nil, request: request).bytes.readableBytesView)
        }
        let spliced: [UInt8]
        do {
            if let number {
                spliced = try MuxedVariant.segment(number: number, video: video, audio: sound)
            } else {
                spliced = try MuxedVariant.initSegment(video: video, audio: sound ?? [])
            }
        } catch {
            logger.error("a variant with audio could not be spliced", metadata: ["video": "\(playback.video.id)", "file": "\(folder)/\(file)", "error": "\(error)"])
            throw APIError(.internalServerError, "splice_failed", "\(folder)/\(file) cannot be served; \(rendition.name)/ and the DASH manifest still play")
        }
        if configuration.server.defences { headers[.reprDigest] = "sha-256=:\(Data(ObjectDigest.of(spliced).bytes).base64EncodedString()):" }
        let body = ByteBuffer(bytes: spliced)
        guard let wanted = ByteRangeRequest(header: request.headers[.range]) else {
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        let total = Int64(spliced.count)
        guard let range = wanted.resolve(total: total), range.lowerBound < total else {
            headers[.contentRange] = "bytes */\(total)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        let last = min(range.upperBound, total - 1)
        headers[.contentRange] = "bytes \(range.lowerBound)-\(last)/\(total)"
        let slice = body.getSlice(at: Int(range.lowerBound), length: Int(last - range.lowerBound + 1)) ?? body
        return Response(status: .partialContent, headers: headers, body: ResponseBody(byteBuffer: slice))
    }
}
