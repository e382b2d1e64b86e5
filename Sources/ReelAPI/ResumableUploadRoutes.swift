import Foundation
import Logging
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
    /// When the unfinished upload and its bytes are removed (ISO 8601).
    let expiresAt: String?

    enum CodingKeys: String, CodingKey {
        case offset, length, url
        case uploadID = "upload_id", videoID = "video_id", expiresAt = "expires_at"
    }
}

/// Uploads that survive a broken connection: `POST /v1/uploads/resumable`
/// (with `Upload-Length`) opens one; `PATCH …/{upload}` with `Upload-Offset`
/// appends a chunk; `HEAD …/{upload}` says how many bytes are safely stored,
/// which is where a client whose connection broke continues. The last chunk
/// publishes the video exactly like `POST /v1/uploads`. The bytes wait in this
/// API instance's spool folder, so a client keeps talking to the same instance;
/// each chunk is written under an ``UploadClaim`` on the row, which holds
/// across instances.
extension ReelAPI {
    func addResumableUploadRoutes(to router: Router<BasicRequestContext>) {
        router.post("v1/uploads/resumable") { request, _ -> Response in
            // The creation request has no body: its Content-Type, when given, describes the video to come.
            let contentType = request.headers[.contentType] ?? "application/octet-stream"
            guard ReelAPI.acceptable(contentType) else {
                throw APIError(.unsupportedMediaType, "unsupported_media_type",
                               "a resumable upload's Content-Type must be video/* or application/octet-stream, not \(contentType)")
            }
            guard let length = request.headers[uploadLength].flatMap(Int64.init), length > 0 else {
                throw APIError.badRequest("send the file's size in bytes as the Upload-Length header")
            }
            guard length <= configuration.maxUploadBytes else {
                throw APIError(.contentTooLarge, "too_large", "the upload is \(length) bytes; the limit is \(configuration.maxUploadBytes)")
            }
            try guardDisk()
            let (owner, tokenID) = try await uploadOwner(request, requested: request.uri.queryParameters.get("owner") ?? "")
            let id = VideoID.make()
            let expires = try await admit(Uploads.Request(
                id: id, length: length, title: request.uri.queryParameters.get("title") ?? "", owner: owner,
                contentType: contentType, tokenID: tokenID, oneShot: false,
                expiresIn: configuration.uploads.expirySeconds))
            try await openSpoolFile(id)
            var response = try JSONBody(describe(id, offset: 0, length: length, video: nil, expires: expires), status: .created).response()
            response.headers[.location] = "/v1/uploads/resumable/\(id)"
            response.headers[uploadOffset] = "0"
            response.headers[uploadExpires] = Self.httpDate(expires)
            return response
        }

        router.head("v1/uploads/resumable/:upload") { request, context -> Response in
            let upload = try await find(context)
            try await checkUploadAccess(request, owner: upload.owner, upload: upload.id)
            var headers: HTTPFields = [uploadOffset: "\(upload.received)", uploadLength: "\(upload.length)", .cacheControl: "no-store"]
            if upload.video == nil { headers[uploadExpires] = Self.httpDate(upload.expires) }
            return Response(status: .ok, headers: headers)
        }

        router.get("v1/uploads/resumable/:upload") { request, context -> Response in
            let upload = try await find(context)
            try await checkUploadAccess(request, owner: upload.owner, upload: upload.id)
            return try JSONBody(describe(upload.id, offset: upload.received, length: upload.length, video: upload.video,
                                         expires: upload.video == nil ? upload.expires : nil)).response()
        }

        router.patch("v1/uploads/resumable/:upload") { request, context -> Response in
            let upload = try await find(context)
            try await checkUploadAccess(request, owner: upload.owner, upload: upload.id)
            try guardDisk()
            guard let offset = request.headers[uploadOffset].flatMap(Int64.init) else {
                throw APIError.badRequest("send the offset this chunk starts at as the Upload-Offset header (HEAD tells it)")
            }
            let claim = try await UploadClaim.take(upload.id, offset: offset, pool: catalog.pool)
            switch try await writing(upload, claim: claim, body: request.body) {
            case .stored(let received):
                return Response(status: .noContent, headers: [uploadOffset: "\(received)", .cacheControl: "no-store"])
            case .published(let video, let source):
                return try created(video, source)
            }
        }
    }

    /// Makes the place a new upload's bytes wait: a staged upload in the
    /// home region's store when it can stage them (S3), so any instance
    /// continues it, else an empty spool file (instances then share the
    /// spool folder). Forgets the upload if it cannot.
    func openSpoolFile(_ id: String) async throws {
        do {
            if let staging = regions.home.store.staging {
                let staged = try await staging.begin(id)
                try await Uploads.stage(id, staging: staged.json, pool: catalog.pool)
            } else {
                try await ResumableFile(url: spoolFile(id)).truncate(to: 0)
            }
        } catch {
            try? await Uploads.discard(id, pool: catalog.pool)
            if let error = error as? StoreError {
                logger.error("an upload's bytes cannot be staged", metadata: ["upload": "\(id)", "error": "\(error.message)"])
                throw APIError(.serviceUnavailable, "unavailable", "uploads cannot be stored right now; try again in a minute")
            }
            throw error
        }
    }

    /// What a chunk did: stored up to an offset, or completed the upload and published its video.
    enum ChunkOutcome: Sendable {
        case stored(received: Int64)
        case published(Video, ObjectInfo)
    }

    /// Appends a chunk under `claim`, then records what is on disk and, with
    /// the last byte, publishes the video, all before the claim is let go.
    /// With a `checksum`, the chunk is kept only whole and matching: a broken
    /// or mismatching chunk is cut off again (460 for a mismatch).
    func writing(_ upload: UploadRow, claim: UploadClaim, body: RequestBody, checksum: TusChecksum? = nil) async throws -> ChunkOutcome {
        if let staged = upload.staging { return try await writingStaged(upload, staged, claim: claim, body: body, checksum: checksum) }
        let file = ResumableFile(url: spoolFile(upload.id))
        let hasher = checksum?.hasher()
        let received: Int64
        do {
            // Never recreated, never zero-filled: bytes this instance lacks are gone.
            guard try await file.cut(to: claim.offset) else {
                try await claim.release(received: claim.offset, pool: catalog.pool)
                throw APIError(.gone, "bytes_missing",
                               "the \(claim.offset) bytes stored so far of upload \(upload.id) are not on this API instance (expired, or sent to another one); start a new upload")
            }
            received = try await claim.renewing(pool: catalog.pool) { try await file.append(body, limit: upload.length, hasher: hasher) }
        } catch let error as APIError where error.status == .gone {
            throw error
        } catch {
            // The connection broke (or the chunk was too long): keep what is safely on disk,
            // unless the chunk carried a checksum, which only the whole chunk can match.
            let kept = checksum == nil ? min((try? await file.size()) ?? claim.offset, upload.length) : claim.offset
            if checksum != nil { _ = try? await file.cut(to: claim.offset) }
            try await claim.release(received: max(kept, claim.offset), pool: catalog.pool)
            throw error
        }
        if let checksum, let hasher, hasher.digest() != checksum.expected {
            _ = try? await file.cut(to: claim.offset)
            try await claim.release(received: claim.offset, pool: catalog.pool)
            throw APIError(Tus.checksumMismatch, "checksum_mismatch",
                           "the chunk's \(checksum.algorithm.rawValue) does not match its Upload-Checksum; it was not kept: send it again from offset \(claim.offset)",
                           headers: [uploadOffset: "\(claim.offset)"])
        }
        guard received == upload.length, !upload.lengthDeferred else {
            try await claim.release(received: received, pool: catalog.pool)
            return .stored(received: received)
        }
        let (video, source) = try await complete(upload, file: file.url, claim: claim)
        return .published(video, source)
    }

    typealias UploadRow = Uploads.Resumable

    func find(_ context: BasicRequestContext) async throws -> UploadRow {
        let id = context.parameters.get("upload") ?? ""
        guard VideoID.isValid(id), let upload = try await Uploads.resumable(id, pool: catalog.pool), !upload.expired else {
            throw APIError.notFound("no resumable upload \(id) (unfinished uploads expire): start one with POST /v1/uploads/resumable")
        }
        return upload
    }

    /// The last byte is in: store, catalog and queue it like a one-shot
    /// upload; the upload names its video in the same transaction, which
    /// commits only while `claim` still holds the row.
    func complete(_ upload: UploadRow, file: URL, claim: UploadClaim) async throws -> (Video, ObjectInfo) {
        let source: ObjectInfo
        do {
            source = try await ObjectDigest.ofFile(file)
        } catch {
            try? await claim.release(received: upload.length, pool: catalog.pool)
            logger.error("a finished resumable upload could not be read back", metadata: ["upload": "\(upload.id)", "error": "\(error.message)"])
            throw APIError(.internalServerError, "spool", "the upload's bytes could not be read back; start a new upload")
        }
        let video: Video
        do {
            video = try await publish(file, source, id: upload.id, title: upload.title, owner: upload.owner,
                                      contentType: upload.contentType) { conn, video in
                try claim.finish(video: video, length: upload.length, on: conn)
            }
        } catch {
            try? await claim.release(received: upload.length, pool: catalog.pool)
            throw error
        }
        try? FileManager.default.removeItem(at: file)
        return (video, source)
    }

    func spoolFile(_ id: String) -> URL {
        configuration.spool.appendingPathComponent("resumable-\(id)")
    }

    func describe(_ id: String, offset: Int64, length: Int64, video: String?, expires: Date?,
                  under path: String = "/v1/uploads/resumable") -> ResumableUpload {
        ResumableUpload(uploadID: id, offset: offset, length: length, url: "\(path)/\(id)", videoID: video,
                        expiresAt: expires.map { ISO8601DateFormatter().string(from: $0) })
    }

    /// An HTTP-date (RFC 9110 §5.6.7), as tus's `Upload-Expires` uses.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

let uploadOffset = HTTPField.Name("Upload-Offset") ?? .contentRange
let uploadLength = HTTPField.Name("Upload-Length") ?? .contentLength
let uploadExpires = HTTPField.Name("Upload-Expires") ?? .expires
