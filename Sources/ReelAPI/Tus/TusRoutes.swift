import Foundation
import HTTPTypes
import Hummingbird
import ReelCatalog
import ReelStore

/// tus 1.0.0 at `/v1/uploads/tus` (``Tus``): core protocol plus creation,
/// creation-with-upload, creation-defer-length, expiration, checksum and
/// termination. An upload is a row of `uploads` (its offset, its claim) and
/// bytes in the spool; the video it becomes takes the upload's id, which the
/// client has from the creation answer (`Reel-Video-Id`) and every HEAD.
extension ReelAPI {
    func addTusRoutes(to router: Router<BasicRequestContext>) {
        let capabilities = Tus.capabilities(maxSize: configuration.maxUploadBytes)
        let tus = router.group("v1/uploads/tus")  // Tus.path
            .add(middleware: TusMiddleware<BasicRequestContext>(capabilities: capabilities))
        tus.on("", method: .options) { _, _ in Response(status: .noContent, headers: capabilities) }
        tus.on(":upload", method: .options) { _, _ in Response(status: .noContent, headers: capabilities) }
        tus.post("") { request, _ in try await createTusUpload(request, as: .token) }
        tus.head(":upload") { request, context in tusOffset(try await findTus(request, context)) }
        tus.patch(":upload") { request, context in try await appendTus(request) { try await findTus(request, context) } }
        tus.delete(":upload") { request, context in try await terminateTus(try await findTus(request, context)) }
    }

    /// HEAD: where the upload stands, and the video it becomes.
    func tusOffset(_ upload: UploadRow) -> Response {
        var headers: HTTPFields = [uploadOffset: "\(upload.received)", .cacheControl: "no-store", .reelVideoID: upload.video ?? upload.id]
        if upload.lengthDeferred { headers[.uploadDeferLength] = "1" } else { headers[uploadLength] = "\(upload.length)" }
        if !upload.metadata.isEmpty { headers[.uploadMetadata] = upload.metadata }
        if upload.video == nil { headers[uploadExpires] = Self.httpDate(upload.expires) }
        return Response(status: .ok, headers: headers)
    }

    /// PATCH: the request's headers first, then the upload `find` names.
    func appendTus(_ request: Request, find: () async throws -> UploadRow) async throws -> Response {
        guard Tus.isChunk(request.headers[.contentType]) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "a tus chunk's Content-Type must be \(Tus.chunkType), not \(request.headers[.contentType] ?? "missing")")
        }
        guard let offset = request.headers[uploadOffset].flatMap(Int64.init), offset >= 0 else {
            throw APIError.badRequest("send the offset this chunk starts at as the Upload-Offset header (HEAD tells it)")
        }
        let upload = try await find()
        if let video = upload.video {
            throw APIError(.gone, "complete", "upload \(upload.id) is complete: it is video \(video)")
        }
        return try await appendTusChunk(request, upload: upload, offset: offset)
    }

    /// DELETE (termination): the row, then the bytes.
    func terminateTus(_ upload: UploadRow) async throws -> Response {
        switch try await Uploads.terminate(upload.id, pool: catalog.pool) {
        case .removed, .missing:
            try? FileManager.default.removeItem(at: spoolFile(upload.id))
            if let staging = regions.home.store.staging, let text = upload.staging,
               let staged = StagedUpload(json: text) {
                try? await staging.abort(staged)
            }
            return Response(status: .noContent)
        case .busy:
            throw APIError(Tus.locked, "busy", "a chunk of upload \(upload.id) is being written; terminate it when that request ends")
        case .complete(let video):
            throw APIError(.gone, "complete",
                           "upload \(upload.id) is complete: it is video \(video) (delete the video with DELETE /v1/admin/videos/\(video))")
        }
    }

    /// Creation (and creation-with-upload, creation-defer-length): admits the
    /// upload under the quotas, makes its spool file and, when the request
    /// carries bytes, stores them as the first chunk. A direct upload's URL
    /// binds the upload's id, tenant, size limit, expiry and metadata.
    func createTusUpload(_ request: Request, as authority: TusAuthority) async throws -> Response {
        let limit = authority.limit(configuration.maxUploadBytes)
        let declared: Int64?
        switch (request.headers[uploadLength], request.headers[.uploadDeferLength]) {
        case (nil, nil):
            throw APIError.badRequest("send the file's size in bytes as Upload-Length, or Upload-Defer-Length: 1 when it is not known yet")
        case (nil, .some(let deferred)):
            guard deferred == "1" else { throw APIError.badRequest("Upload-Defer-Length must be 1, not '\(deferred)'") }
            declared = nil
        case (.some(let text), _):
            // With both, the length is known: nothing is left to defer.
            guard let length = Int64(text), length >= 0 else {
                throw APIError.badRequest("Upload-Length must be the file's size in bytes, not '\(text)'")
            }
            declared = length
        }
        if let declared {
            guard declared > 0 else { throw APIError.badRequest("Upload-Length is 0: an empty file is not a video; upload the video file") }
            guard declared <= limit else {
                throw APIError(.contentTooLarge, "too_large", "the upload is \(declared) bytes; the limit is \(limit) (Tus-Max-Size)")
            }
        }
        var metadata: TusMetadata
        do { metadata = try TusMetadata.parse(request.headers[.uploadMetadata]) } catch { throw APIError.badRequest(error.description) }
        if case .direct(let direct, _) = authority {
            do { metadata = try metadata.overridden(by: try TusMetadata.parse(direct.metadata)) } catch { throw APIError.badRequest(error.description) }
        }
        let contentType = metadata.contentType ?? "application/octet-stream"
        guard ReelAPI.acceptable(contentType) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "the upload's type (Upload-Metadata filetype) must be video/* or application/octet-stream, not \(contentType)")
        }
        let carriesBytes = Tus.isChunk(request.headers[.contentType])
        if !carriesBytes, let sent = request.headers[.contentLength].flatMap(Int64.init), sent > 0 {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "bytes sent with the creation request must be \(Tus.chunkType) (creation-with-upload)")
        }
        try guardDisk()
        let owner: String, tokenID: Int64?, id: String, expiresIn: Double, location: String
        switch authority {
        case .token:
            (owner, tokenID) = try await uploadOwner(request, requested: request.uri.queryParameters.get("owner") ?? "")
            id = VideoID.make()
            expiresIn = configuration.uploads.expirySeconds
            location = "\(Tus.path)/\(id)"
        case .direct(let direct, let url):
            (owner, tokenID, id, location) = (direct.owner, direct.tokenID, direct.id, url)
            // The upload ends when its URL does, as with Mux's and Cloudflare's direct uploads.
            expiresIn = max(1, direct.expires.timeIntervalSinceNow)
        }
        let expires: Date
        do {
            expires = try await admit(Uploads.Request(
                id: id, length: declared ?? limit, title: metadata.title, owner: owner, contentType: contentType, tokenID: tokenID,
                oneShot: false, expiresIn: expiresIn, metadata: metadata.raw, lengthDeferred: declared == nil, direct: authority.isDirect))
        } catch is Uploads.DirectSpent {
            throw DirectUploadURL.spent
        }
        try await openSpoolFile(id)
        let identity: HTTPFields = [.location: location, .reelVideoID: id, uploadExpires: Self.httpDate(expires)]
        var response: Response
        if carriesBytes, let upload = try await Uploads.resumable(id, pool: catalog.pool) {
            do {
                response = try await appendTusChunk(request, upload: upload, offset: 0)
            } catch let error as APIError {
                // The upload exists: the client continues it from the offset HEAD gives.
                var failed = error
                for field in identity { failed.headers[field.name] = field.value }
                throw failed
            }
            response.status = .created
        } else {
            response = Response(status: .created, headers: [uploadOffset: "0"])
        }
        for field in identity { response.headers[field.name] = field.value }
        return response
    }

    /// A chunk at `offset`: claims the upload, takes a deferred length, checks
    /// the size and checksum, appends; the last chunk publishes the video.
    /// Answers 204 with the new `Upload-Offset`, the last chunk's included.
    func appendTusChunk(_ request: Request, upload: UploadRow, offset: Int64) async throws -> Response {
        var checksum: TusChecksum?
        if let header = request.headers[.uploadChecksum] {
            do { checksum = try TusChecksum.parse(header) } catch { throw APIError.badRequest(error.description) }
        }
        let declared = try request.headers[uploadLength].map { text -> Int64 in
            guard let length = Int64(text), length > 0 else { throw APIError.badRequest("Upload-Length must be the file's size in bytes, not '\(text)'") }
            return length
        }
        if let declared, !upload.lengthDeferred, declared != upload.length {
            throw APIError(.conflict, "length_set", "upload \(upload.id) is \(upload.length) bytes long; its length cannot change (leave out Upload-Length)",
                           headers: [uploadOffset: "\(upload.received)"])
        }
        try guardDisk()
        let claim: UploadClaim
        do {
            claim = try await UploadClaim.take(upload.id, offset: offset, pool: catalog.pool)
        } catch let error as APIError where error.code == "busy" {
            // tus servers answer 423 Locked while another request writes the upload.
            throw APIError(Tus.locked, error.code, error.message, headers: error.headers)
        } catch let error as APIError where error.code == "complete" {
            throw APIError(.gone, error.code, error.message)
        }
        var target = upload
        if let declared, upload.lengthDeferred {
            // While the length is deferred, the row's length is the most the upload may be.
            guard try await Uploads.declareLength(upload.id, token: claim.token, length: declared, pool: catalog.pool) else {
                try await claim.release(received: offset, pool: catalog.pool)
                throw APIError.badRequest("Upload-Length \(declared) is below the \(offset) bytes stored or above the limit of \(upload.length)")
            }
            target = upload.declaring(length: declared)
        }
        if let sent = request.headers[.contentLength].flatMap(Int64.init), offset + sent > target.length {
            try await claim.release(received: offset, pool: catalog.pool)
            throw APIError(.contentTooLarge, "too_large",
                           "the chunk's \(sent) bytes from offset \(offset) run past the upload's length of \(target.length) bytes")
        }
        switch try await writing(target, claim: claim, body: request.body, checksum: checksum) {
        case .stored(let received):
            var headers: HTTPFields = [uploadOffset: "\(received)", .cacheControl: "no-store", .reelVideoID: upload.id]
            headers[uploadExpires] = Self.httpDate(upload.expires)
            return Response(status: .noContent, headers: headers)
        case .published(let video, _):
            return Response(status: .noContent, headers: [uploadOffset: "\(target.length)", .cacheControl: "no-store", .reelVideoID: video.id])
        }
    }

    /// The upload a tus URL names, for this caller: 404 when there is none (or
    /// it is another tenant's), 410 when it expired unfinished.
    func findTus(_ request: Request, _ context: BasicRequestContext) async throws -> UploadRow {
        let id = context.parameters.get("upload") ?? ""
        guard VideoID.isValid(id), let upload = try await Uploads.resumable(id, pool: catalog.pool) else {
            throw APIError.notFound("no upload \(id) (unfinished uploads expire, terminated ones are gone): create one with POST \(Tus.path)")
        }
        try await checkUploadAccess(request, owner: upload.owner, upload: upload.id)
        if upload.expired {
            throw APIError(.gone, "expired", "upload \(id) expired unfinished at \(Self.httpDate(upload.expires)); create a new one")
        }
        return upload
    }
}

/// Every tus answer carries `Tus-Resumable`, errors included; a request
/// other than OPTIONS without `Tus-Resumable: 1.0.0` gets 412 with the
/// versions this server speaks.
struct TusMiddleware<Context: RequestContext>: RouterMiddleware {
    let capabilities: HTTPFields

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if request.method != .options, request.headers[.tusResumable] != Tus.version {
            response = APIError.json(.preconditionFailed, code: "tus_version",
                                     message: "this is a tus \(Tus.version) endpoint: send Tus-Resumable: \(Tus.version) with every request")
            response.headers[.tusVersion] = Tus.version
        } else {
            do {
                response = try await next(request, context)
            } catch {
                // The error as every route answers it, then the tus header.
                response = try await JSONErrorMiddleware<Context>().handle(request, context: context) { _, _ in throw error }
            }
        }
        response.headers[.tusResumable] = Tus.version
        return response
    }
}
