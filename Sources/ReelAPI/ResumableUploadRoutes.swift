import Foundation
import HTTPTypes
import Hummingbird
import ReelCatalog
import ReelPostgres
import ReelStore
import Synchronization

/// What the resumable upload routes answer while an upload is in progress.
struct ResumableUpload: Encodable, Sendable {
    let uploadID: String
    let offset: Int64
    let length: Int64
    let url: String
    let videoID: String?

    enum CodingKeys: String, CodingKey {
        case offset, length, url
        case uploadID = "upload_id", videoID = "video_id"
    }
}

/// Uploads that survive a broken connection: `POST /v1/uploads/resumable`
/// (with `Upload-Length`) opens one; `PATCH …/{upload}` with `Upload-Offset`
/// appends a chunk; `HEAD …/{upload}` says how many bytes are safely stored,
/// which is where a client whose connection broke continues. The last chunk
/// publishes the video exactly like `POST /v1/uploads`. The bytes wait in this
/// API instance's spool folder, so a client keeps talking to the same instance.
extension ReelAPI {
    func addResumableUploadRoutes(to router: Router<BasicRequestContext>) {
        let writing = Mutex(Set<String>())

        router.post("v1/uploads/resumable") { request, _ -> Response in
            let contentType = request.headers[.contentType]
            guard ReelAPI.acceptable(contentType) else {
                throw APIError(.unsupportedMediaType, "unsupported_media_type",
                               "a resumable upload's Content-Type must be video/* or application/octet-stream, not \(contentType ?? "missing")")
            }
            guard let length = request.headers[uploadLength].flatMap(Int64.init), length > 0 else {
                throw APIError.badRequest("send the file's size in bytes as the Upload-Length header")
            }
            guard length <= configuration.maxUploadBytes else {
                throw APIError(.contentTooLarge, "too_large", "the upload is \(length) bytes; the limit is \(configuration.maxUploadBytes)")
            }
            let owner = try await uploadOwner(request, requested: request.uri.queryParameters.get("owner") ?? "")
            let id = VideoID.make()
            try await ResumableFile(url: spoolFile(id)).truncate(to: 0)
            try await catalog.pool.query(
                "INSERT INTO uploads (id, length, title, owner, content_type) VALUES ($1, $2, $3, $4, $5)",
                [id, length, request.uri.queryParameters.get("title") ?? "", owner,
                 contentType ?? "application/octet-stream"])
            var response = try JSONBody(describe(id, offset: 0, length: length, video: nil), status: .created).response()
            response.headers[.location] = "/v1/uploads/resumable/\(id)"
            response.headers[uploadOffset] = "0"
            return response
        }

        router.head("v1/uploads/resumable/:upload") { request, context -> Response in
            let upload = try await find(context)
            try await checkUploadAccess(request, owner: upload.owner, upload: upload.id)
            return Response(status: .ok, headers: [uploadOffset: "\(upload.received)", uploadLength: "\(upload.length)", .cacheControl: "no-store"])
        }

        router.get("v1/uploads/resumable/:upload") { request, context -> Response in
            let upload = try await find(context)
            try await checkUploadAccess(request, owner: upload.owner, upload: upload.id)
            return try JSONBody(describe(upload.id, offset: upload.received, length: upload.length, video: upload.video)).response()
        }

        router.patch("v1/uploads/resumable/:upload") { request, context -> Response in
            let upload = try await find(context)
            try await checkUploadAccess(request, owner: upload.owner, upload: upload.id)
            if let video = upload.video {
                throw APIError(.conflict, "complete", "upload \(upload.id) is complete: it is video \(video)")
            }
            guard let offset = request.headers[uploadOffset].flatMap(Int64.init) else {
                throw APIError.badRequest("send the offset this chunk starts at as the Upload-Offset header (HEAD tells it)")
            }
            guard offset == upload.received else {
                var response = APIError.json(.conflict, code: "offset_mismatch",
                                             message: "upload \(upload.id) has \(upload.received) bytes stored; send the chunk from there")
                response.headers[uploadOffset] = "\(upload.received)"
                return response
            }
            guard writing.withLock({ $0.insert(upload.id).inserted }) else {
                throw APIError(.conflict, "busy", "another request is writing upload \(upload.id); try again when it ends")
            }
            defer { _ = writing.withLock { $0.remove(upload.id) } }
            let file = ResumableFile(url: spoolFile(upload.id))
            try await file.truncate(to: upload.received)
            let received: Int64
            do {
                received = try await file.append(request.body, limit: upload.length)
            } catch {
                // The connection broke (or the chunk was too long): keep what is safely on disk.
                let kept = min(try await file.size(), upload.length)
                try await catalog.pool.query("UPDATE uploads SET received = $2, updated_at = now() WHERE id = $1", [upload.id, kept])
                throw error
            }
            try await catalog.pool.query("UPDATE uploads SET received = $2, updated_at = now() WHERE id = $1", [upload.id, received])
            guard received == upload.length else {
                return Response(status: .noContent, headers: [uploadOffset: "\(received)", .cacheControl: "no-store"])
            }
            return try await complete(upload, file: file.url)
        }
    }

    struct UploadRow: Sendable {
        let id: String
        let length: Int64
        let received: Int64
        let title: String
        let owner: String
        let contentType: String
        let video: String?
    }

    func find(_ context: BasicRequestContext) async throws -> UploadRow {
        let id = context.parameters.get("upload") ?? ""
        guard VideoID.isValid(id),
            let row = try await catalog.pool.query(
                "SELECT id, length, received, title, owner, content_type, video_id FROM uploads WHERE id = $1", [id]
            ).first
        else { throw APIError.notFound("no resumable upload \(id): start one with POST /v1/uploads/resumable") }
        return UploadRow(id: id, length: try row.decode(Int64.self, 1), received: try row.decode(Int64.self, 2), title: row.string(3) ?? "",
                         owner: row.string(4) ?? "", contentType: row.string(5) ?? "", video: row.string(6))
    }

    /// The last byte is in: store, catalog and queue it like a one-shot upload.
    func complete(_ upload: UploadRow, file: URL) async throws -> Response {
        let source: ObjectInfo
        do { source = try await ObjectDigest.ofFile(file) } catch { throw APIError(.internalServerError, "spool", error.message) }
        let video = try await publish(file, source, title: upload.title, owner: upload.owner, contentType: upload.contentType)
        try await catalog.pool.query("UPDATE uploads SET video_id = $2, updated_at = now() WHERE id = $1", [upload.id, video.id])
        try? FileManager.default.removeItem(at: file)
        return try created(video, source)
    }

    func spoolFile(_ id: String) -> URL {
        configuration.spool.appendingPathComponent("resumable-\(id)")
    }

    func describe(_ id: String, offset: Int64, length: Int64, video: String?) -> ResumableUpload {
        ResumableUpload(uploadID: id, offset: offset, length: length, url: "/v1/uploads/resumable/\(id)", videoID: video)
    }
}

let uploadOffset = HTTPField.Name("Upload-Offset") ?? .contentRange
let uploadLength = HTTPField.Name("Upload-Length") ?? .contentLength
