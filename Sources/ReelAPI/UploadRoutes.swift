import Foundation
import Logging
import Hummingbird
import ReelCatalog
import ReelPostgres
import ReelStore
import ReelPipeline

/// What `POST /v1/uploads` answers (201).
struct UploadCreated: Encodable, Sendable {
    let id: String
    let status: String
    let bytes: Int64
    let sha256: String
    let urls: VideoMetadata.URLs
}

extension ReelAPI {
    /// Content types an upload may have: video files, or bytes of unknown type (probing decides).
    static func acceptable(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return type.hasPrefix("video/") || type == "application/octet-stream"
    }

    func addUploadRoutes(to router: Router<BasicRequestContext>) {
        router.post("v1/uploads") { request, context -> Response in
            let contentType = request.headers[.contentType]
            guard ReelAPI.acceptable(contentType) else {
                throw APIError(.unsupportedMediaType, "unsupported_media_type",
                               "an upload's Content-Type must be video/* or application/octet-stream, not \(contentType ?? "missing")")
            }
            let limit = configuration.maxUploadBytes
            if let declared = request.headers[.contentLength].flatMap(Int64.init), declared > limit {
                throw APIError(.contentTooLarge, "too_large", "the upload is \(declared) bytes; the limit is \(limit)")
            }
            let title = request.uri.queryParameters.get("title") ?? ""
            try guardDisk()
            let (owner, tokenID) = try await uploadOwner(request, requested: request.uri.queryParameters.get("owner") ?? "")
            // The upload's row counts it against the quotas while it runs.
            let id = VideoID.make()
            let declared = request.headers[.contentLength].flatMap(Int64.init).map { max(1, $0) } ?? limit
            _ = try await admit(Uploads.Request(
                id: id, length: declared, title: title, owner: owner, contentType: contentType ?? "application/octet-stream",
                tokenID: tokenID, oneShot: true, expiresIn: configuration.uploads.oneShotExpirySeconds))
            do {
                let (file, source) = try await spool(request.body, limit: limit)
                defer { try? FileManager.default.removeItem(at: file) }
                let video = try await publish(file, source, title: title, owner: owner, contentType: contentType ?? "application/octet-stream") {
                    conn, _ in try Uploads.end(id, on: conn)
                }
                return try created(video, source)
            } catch {
                try? await Uploads.end(id, pool: catalog.pool)
                throw error
            }
        }
    }

    /// The 201 of a finished upload, one-shot or resumable: the video's id and URLs.
    func created(_ video: Video, _ source: ObjectInfo) throws -> Response {
        let urls = VideoMetadata.URLs(video: video.id, hasPoster: false)
        let body = UploadCreated(id: video.id, status: video.status.rawValue, bytes: source.size, sha256: source.digest.hex, urls: urls)
        var response = try JSONBody(body, status: .created).response()
        response.headers[.location] = "/v1/videos/\(video.id)"
        return response
    }

    /// Streams the body into a spool file, hashing it; never holds it all in memory.
    func spool(_ body: RequestBody, limit: Int64) async throws -> (URL, ObjectInfo) {
        let spool = try await UploadSpool.create(in: configuration.spool)
        do {
            for try await chunk in body {
                guard spool.size + Int64(chunk.readableBytes) <= limit else {
                    throw APIError(.contentTooLarge, "too_large", "the upload passed the limit of \(limit) bytes")
                }
                try await spool.append(chunk)
            }
            let info = try await spool.finish()
            guard info.size > 0 else { throw APIError.badRequest("the upload is empty: send the video file as the request body") }
            return (spool.file, info)
        } catch {
            await spool.discard()
            throw error
        }
    }

    /// Stores the spooled source in the home region, then commits the video's
    /// row and its media jobs in one transaction: a crash between the two
    /// leaves only an unreferenced object, which garbage collection removes.
    /// `within` runs in that transaction too (a resumable upload names its video there).
    /// A resumable upload's video takes the upload's id, which its client knew from the start.
    func publish(
        _ file: URL, _ source: ObjectInfo, id: String = VideoID.make(), title: String, owner: String, contentType: String,
        within: @escaping @Sendable (isolated PostgresConnection, Video) throws -> Void = { _, _ in }
    ) async throws -> Video {
        let home = regions.home
        do {
            _ = try await home.store.put(contentsOf: file, digest: source.digest)
        } catch {
            logger.error("an upload could not be stored", metadata: ["region": "\(home.name)", "error": "\(error.message)"])
            throw APIError(.serviceUnavailable, "store_unavailable", "the upload could not be stored now; send it again shortly",
                           headers: [.retryAfter: "5"])
        }
        let new = NewVideo(id: id, owner: owner, title: title, homeRegion: home.name, sourceDigest: source.digest.hex,
                           sourceSize: source.size, contentType: contentType)
        let video = try await catalog.pool.withTransaction { conn in
            let video = try Catalog.insert(new, on: conn)
            try VideoTransitions.apply(.uploaded, video: video.id, .init(tenant: owner), on: conn)
            try within(conn, video)
            return video
        }
        await catalog.invalidate(video.id)
        return video
    }
}
