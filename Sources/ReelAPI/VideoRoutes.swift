import Foundation
import Logging
import Hummingbird
import ReelCatalog
import ReelStore
import ReelEdge
import ReelManifests

extension ReelAPI {
    func addVideoRoutes(to router: Router<BasicRequestContext>) {
        if configuration.playbackSigner != nil { router.add(middleware: PrivateWhenAuthorized()) }
        router.get("v1/videos/:id") { request, context -> Response in
            let cacheControl = "public, max-age=1"
            let hint = request.uri.queryParameters.get("region") ?? request.headers[.reelRegion] ?? configuration.edgeRegion
            let edge = await edges.nearest(region: hint)
            let variant = edge?.name ?? ""
            if let grant = try await playbackGrant(request, video: context.parameters.get("id") ?? "") {
                let playback = try await playback(context)
                return try JSONBody(VideoMetadata(playback, edge: edge, query: grant), cacheControl: "private, max-age=1").response()
            }
            if let known = memo.metadata(context.parameters.get("id") ?? "", variant: variant) {
                return JSONBody<VideoMetadata>.response(known, cacheControl: cacheControl)
            }
            let playback = try await playback(context)
            let bytes = try JSONBody(VideoMetadata(playback, edge: edge), cacheControl: cacheControl).bytes()
            memo.remember(playback, metadata: bytes, variant: variant)
            return JSONBody<VideoMetadata>.response(bytes, cacheControl: cacheControl)
        }
        router.get("v1/videos/:id/:part") { request, context -> Response in
            let grant = try await playbackGrant(request, video: context.parameters.get("id") ?? "")
            let playback = try await playback(context)
            let file = context.parameters.get("part") ?? ""
            switch file {
            case "master.m3u8":
                let response = try playlist(Playlists.master(playback), type: "application/vnd.apple.mpegurl", playback, file,
                                            grant: grant, completeMaxAge: ReelAPI.masterMaxAge)
                countPlay(request, playback.video.id)
                return response
            case "manifest.mpd":
                let response = try playlist(Playlists.mpd(playback), type: "application/dash+xml", playback, file,
                                            grant: grant, completeMaxAge: ReelAPI.masterMaxAge)
                countPlay(request, playback.video.id)
                return response
            case "player":
                return ReelAPI.playerPage(id: playback.video.id, title: playback.video.title, query: grant)
            case "authorize":
                // An edge's question about a viewer's signature (a wrong one got 403 above): the
                // answer may be kept until the signature expires, so each is asked once per edge.
                let exp = Int64(request.uri.queryParameters.get("exp") ?? "") ?? 0
                let left = max(0, exp - Int64(Date().timeIntervalSince1970))
                return try JSONBody(Authorization(video: playback.video.id, authorized: true, expires: grant == nil ? nil : exp),
                                    cacheControl: grant == nil ? "no-store" : "public, max-age=\(left)").response()
            case "poster.jpg":
                var poster = playback.video.posterDigest.flatMap(ObjectDigest.init(hex:))
                if poster == nil, catalog.readPool != nil {
                    // A standby (or this region's cache of it) may lag the primary: ask it once before a 404.
                    poster = (try? await catalog.playback(playback.video.id, cached: false))??.video.posterDigest.flatMap(ObjectDigest.init(hex:))
                }
                guard let poster else {
                    throw APIError.notFound("video \(playback.video.id) has no poster yet (status \(playback.video.status.rawValue))")
                }
                return try await object(poster, type: "image/jpeg", request: request, of: playback)
            default:
                throw APIError.notFound("no \(file) for a video: try master.m3u8, manifest.mpd, poster.jpg, player or authorize")
            }
        }
        router.get("v1/videos/:id/:part/:file") { request, context -> Response in
            let grant = try await playbackGrant(request, video: context.parameters.get("id") ?? "")
            let playback = try await playback(context)
            do {
                return try await renditionFile(request, context, playback, grant: grant)
            } catch let error as APIError where error.status == .notFound && catalog.readPool != nil {
                // Read from a standby that may not have replayed the segment yet (an edge warmed
                // the moment the primary committed it): ask the primary once before saying 404.
                guard let fresh = try? await catalog.playback(playback.video.id, cached: false) else { throw error }
                return try await renditionFile(request, context, fresh, grant: grant)
            }
        }
    }

    /// A rendition's playlist, init segment or media segment, from what `playback` lists.
    func renditionFile(_ request: Request, _ context: BasicRequestContext, _ playback: Playback, grant: String?) async throws -> Response {
        let name = context.parameters.get("part") ?? ""
        let file = context.parameters.get("file") ?? ""
        let rung = MuxedVariant.rung(of: name)
        guard let rendition = playback.renditions.first(where: { $0.name == (rung ?? name) && (rung == nil || $0.kind == "video") }) else {
            throw APIError.notFound("video \(playback.video.id) has no rendition \(name) (yet)")
        }
        let type = rendition.kind == "audio" ? "audio/mp4" : "video/mp4"
        if file == "index.m3u8" {
            return try playlist(Playlists.media(playback, rendition: name), type: "application/vnd.apple.mpegurl", playback, file, grant: grant)
        }
        if rung != nil { return try await variantWithAudio(rendition, file: file, request: request, of: playback) }
        if file == "init.mp4", let digest = ObjectDigest(hex: rendition.initDigest) {
            return try await object(digest, type: type, request: request, of: playback)
        }
        guard file.hasSuffix(".m4s"), let number = Int(file.dropLast(4)) else {
            throw APIError.notFound("no \(file) in rendition \(name): try index.m3u8, init.mp4 or N.m4s")
        }
        guard let segment = rendition.segments.first(where: { $0.number == number }), let digest = ObjectDigest(hex: segment.digest) else {
            throw APIError.notFound("segment \(number) of \(name) is not stored \(rendition.complete ? "(the rendition has \(rendition.segments.count))" : "yet")")
        }
        return try await object(digest, type: type, request: request, of: playback)
    }

    /// The video named by the route's `:id`, or a 400/404 the client can act on.
    func playback(_ context: BasicRequestContext) async throws -> Playback {
        let id = context.parameters.get("id") ?? ""
        guard VideoID.isValid(id) else {
            throw APIError.badRequest("'\(id)' is not a video id: ids are 8 to 32 letters and digits")
        }
        if let known = memo.playback(id) { return known }
        guard let playback = try await catalog.playback(id) else {
            memo.forget(id)
            throw APIError.notFound("no video \(id)")
        }
        memo.remember(playback)
        return playback
    }

    /// Seconds an edge keeps a finished video's master playlist or MPD: short,
    /// so a change (a deletion's ban aside) shows soon, yet the origin answers
    /// each edge about once per this many seconds per video however many play it.
    static let masterMaxAge = 10

    /// A viewer's play, unless an edge fetched it: an edge's agent counts what
    /// the edge served (`reel edge-agent`), cached or not.
    func countPlay(_ request: Request, _ video: String) {
        if request.headers[.reelEdge] == nil { plays.count(video) }
    }

    /// A playlist: a short cache lifetime while the video grows, longer once
    /// complete; with a playback signature, its URLs carry it.
    func playlist(
        _ text: String?, type: String, _ playback: Playback, _ file: String, grant: String? = nil, completeMaxAge: Int = 300
    ) throws -> Response {
        guard let text else {
            throw APIError.notFound("\(file) of video \(playback.video.id) is not ready: status \(playback.video.status.rawValue)")
        }
        let complete = Playlists.isComplete(playback)
        let body = grant.map { PlaybackSigner.carry($0, into: text) } ?? text
        return Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: complete ? "public, max-age=\(completeMaxAge)" : "public, max-age=1, stale-while-revalidate=2"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// With signed playback on, the signature a request for `video` carries
    /// (to pass on into the URLs it is given), or a 403 saying what is wrong;
    /// an operator's `read-admin` token stands in for a signature. Nil when
    /// playback is public.
    func playbackGrant(_ request: Request, video: String) async throws -> String? {
        let query = request.uri.queryParameters
        let exp = query.get("exp"), sig = query.get("sig")
        guard let signer = configuration.playbackSigner else {
            // Public playback ignores a signature, but not a malformed one.
            if let exp, Int64(exp).map({ String($0) == exp && $0 > 0 }) != true {
                throw APIError.badRequest("exp must be Unix seconds as a plain decimal number, not '\(exp)'")
            }
            return nil
        }
        guard let refusal = signer.refusal(video: video, exp: exp, sig: sig) else { return "exp=\(exp ?? "")&sig=\(sig ?? "")" }
        if Access.token(of: request, cookie: false) != nil, (try? await access.require(.readAdmin, request)) != nil { return nil }
        throw APIError(.forbidden, "signature_required", refusal)
    }

    /// An immutable object's bytes, named by its digest: ETag, conditional
    /// GET, byte ranges, a year of caching, and `Repr-Digest` (RFC 9530): the
    /// SHA-256 of the whole object, which is its name, so a client, an edge or
    /// a replica can check every byte it got at no cost to the origin.
    func object(_ digest: ObjectDigest, type: String, request: Request, of playback: Playback) async throws -> Response {
        let etag = "\"\(digest.hex)\""
        var headers = await immutableHeaders(etag: etag, type: type, request: request, of: playback)
        if configuration.server.defences { headers[.reprDigest] = "sha-256=:\(Data(digest.bytes).base64EncodedString()):" }
        if let match = request.headers[.ifNoneMatch], match == etag || match == "*" {
            return Response(status: .notModified, headers: headers)
        }
        let wanted = ByteRangeRequest(header: request.headers[.range])
        let bytes: ObjectBytes
        do {
            bytes = try await read(digest, range: wanted?.resolve(total: nil), request: request)
        } catch let error as StoreError where error.code == .invalidRange {
            let size = try? await reader.read(digest, range: nil).totalSize
            headers[.contentRange] = "bytes */\(size.map(String.init) ?? "*")"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        var body = bytes.bytes
        var range = bytes.range
        if case .suffix = wanted, let resolved = wanted?.resolve(total: bytes.totalSize),
           let slice = bytes.bytes.getSlice(at: bytes.bytes.readerIndex + Int(resolved.lowerBound), length: Int(resolved.upperBound - resolved.lowerBound + 1)) {
            body = slice
            range = resolved
        }
        guard let range else {
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(bytes.totalSize)"
        return Response(status: .partialContent, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// What every answer with an immutable body carries: its type, ETag, a
    /// year of caching, and whether the asking edge may keep it.
    func immutableHeaders(etag: String, type: String, request: Request, of playback: Playback) async -> HTTPFields {
        var headers: HTTPFields = [
            .contentType: type, .eTag: etag, .acceptRanges: "bytes", .cacheControl: "public, max-age=31536000, immutable",
        ]
        if !(await admission.admits(edge: request.headers[.reelEdge], video: playback.video)) {
            headers[.reelEdgeAdmit] = "no"
        }
        return headers
    }

    /// An object from the nearest region that has it, as an answer can use it:
    /// an edge's fill (it names itself in X-Reel-Edge) is checked against the
    /// digest first (a bad copy is repaired); a missing object is a 404 and an
    /// unreachable store a 503. Only a range past the end is left to the caller.
    func read(_ digest: ObjectDigest, range: ClosedRange<Int64>?, request: Request) async throws -> ObjectBytes {
        do {
            return try await reader.read(digest, range: range, verifying: request.headers[.reelEdge] != nil) { region in
                repairs.start(Catalog.Copy(digest: digest, region: region))
            }
        } catch where error.code == .invalidRange {
            throw error
        } catch where error.code == .notFound {
            throw APIError.notFound("object \(digest.hex) is listed in the catalog but missing from every region")
        } catch {
            logger.error("no region could serve an object", metadata: ["digest": "\(digest.hex)", "error": "\(error.message)"])
            throw APIError(.serviceUnavailable, "store_unavailable", "no region could serve the object now; try again shortly",
                           headers: [.retryAfter: "1"])
        }
    }
}

/// What `GET /v1/videos/{id}/authorize` answers an edge.
struct Authorization: Encodable, Sendable {
    let video: String
    let authorized: Bool
    /// The signature's expiry (Unix seconds); nil when playback is public.
    let expires: Int64?
}

/// With signed playback, an answer given to an operator's token instead of a
/// signature must not be kept by shared caches under the unsigned URL.
struct PrivateWhenAuthorized<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.headers[.authorization] != nil, request.uri.path.hasPrefix("/v1/videos/") {
            response.headers[.cacheControl] = "private, no-store"
        }
        return response
    }
}

