import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import ReelCatalog

/// Who a tus request acts for.
enum TusAuthority: Sendable {
    /// A token's holder (or anyone, with open uploads) at `/v1/uploads/tus`.
    case token
    /// The holder of a direct upload's URL, which is its only credential.
    case direct(Uploads.Direct, url: String)

    var isDirect: Bool {
        if case .direct = self { return true }
        return false
    }

    /// The largest upload this authority may create.
    func limit(_ serverLimit: Int64) -> Int64 {
        guard case .direct(let direct, _) = self else { return serverLimit }
        return min(serverLimit, direct.maxBytes)
    }
}

/// A direct upload's URL: `/v1/uploads/direct/` and a secret of 32 random
/// bytes (base64url), of which the catalog keeps only the SHA-256.
enum DirectUploadURL {
    static let path = "/v1/uploads/direct"
    static let secretPrefix = "du_"

    static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return secretPrefix + TokenSecret.base64url(Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    static func digest(_ secret: String) -> Data { Data(SHA256.hash(data: Data(secret.utf8))) }

    /// A second creation on a used URL, or one that raced its expiry.
    static let spent = APIError(.gone, "used", "this direct upload URL has been used (or has expired): ask the app's backend for a new one")

    /// How long a URL lasts unless the backend says (as Mux's default), and the bounds it may ask for.
    static let defaultExpiry = 3600
    static let expiryRange = 60...(7 * 24 * 3600)
}

/// What an app's backend asks for with `POST /v1/uploads/direct`.
struct DirectUploadAsk: Decodable {
    var maxBytes: Int64?
    var expiresIn: Int?
    var title: String?
    var metadata: [String: String]?
    var owner: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maxBytes = "max_bytes", expiresIn = "expires_in", title, metadata, owner
    }

    /// The ask in a request body: empty, or a JSON object of known fields
    /// (a misspelt one is refused, not silently left at its default).
    static func parse(_ body: Data) throws -> DirectUploadAsk {
        guard !body.isEmpty else { return DirectUploadAsk() }
        return try StrictJSON.decode(DirectUploadAsk.self, from: body, fields: CodingKeys.allCases.map(\.rawValue),
                                     shape: "any of max_bytes (integer), expires_in (seconds), title (text), metadata (object of texts), owner (text)")
    }
}

/// What it gets back: the URL for the phone, and the video's id for itself.
struct DirectUploadGrant: Encodable {
    let id: String
    let url: String
    let expiresAt: Date
    let maxBytes: Int64

    enum CodingKeys: String, CodingKey { case id, url, expiresAt = "expires_at", maxBytes = "max_bytes" }
}

/// Direct uploads for mobile clients, as Mux and Cloudflare Stream offer
/// them: the app's backend, with its `upload` token, asks for a one-time
/// tus URL bound to a tenant, a size limit, an expiry and metadata, and
/// hands it to the phone, which uploads with any tus client and no token.
/// The URL is the tus creation endpoint and, once the upload exists, the
/// upload's own URL (HEAD, PATCH, DELETE); it creates one upload only, and
/// stops working when that upload completes or the URL expires.
extension ReelAPI {
    func addDirectUploadRoutes(to router: Router<BasicRequestContext>) {
        router.post("v1/uploads/direct") { request, _ in try await grantDirectUpload(request) }
        let direct = router.group("v1/uploads/direct/:secret")
            .add(middleware: TusMiddleware<BasicRequestContext>(capabilities: Tus.capabilities(maxSize: configuration.maxUploadBytes)))
        direct.on("", method: .options) { _, context in
            let (grant, _) = try await directUpload(context)
            return Response(status: .noContent, headers: Tus.capabilities(maxSize: min(grant.maxBytes, configuration.maxUploadBytes)))
        }
        direct.post("") { request, context in
            let (grant, url) = try await directUpload(context)
            if grant.used {
                throw APIError(.gone, "used", "this direct upload URL has been used: continue that upload (HEAD this URL) or ask the app's backend for a new one",
                               headers: [.location: url, .reelVideoID: grant.id])
            }
            return try await createTusUpload(request, as: .direct(grant, url: url))
        }
        direct.head("") { _, context in tusOffset(try await directTusUpload(context)) }
        direct.patch("") { request, context in try await appendTus(request) { try await directTusUpload(context) } }
        direct.delete("") { _, context in try await terminateTus(try await directTusUpload(context)) }
    }

    /// `POST /v1/uploads/direct`: checks the ask, records it, answers 201 with the URL.
    func grantDirectUpload(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: configuration.maxFormBytes)
        let ask = try DirectUploadAsk.parse(Data(body.readableBytesView))
        let maxBytes = ask.maxBytes ?? configuration.maxUploadBytes
        guard (1...configuration.maxUploadBytes).contains(maxBytes) else {
            throw APIError.badRequest("max_bytes must be from 1 to \(configuration.maxUploadBytes) (this server's largest upload), not \(maxBytes)")
        }
        let expiresIn = ask.expiresIn ?? DirectUploadURL.defaultExpiry
        guard DirectUploadURL.expiryRange.contains(expiresIn) else {
            throw APIError.badRequest("expires_in must be from \(DirectUploadURL.expiryRange.lowerBound) to \(DirectUploadURL.expiryRange.upperBound) seconds, not \(expiresIn)")
        }
        var values = ask.metadata ?? [:]
        // Names and short texts, as openapi.yaml says: 16 keys of 64 characters, values of 256.
        guard values.count <= 16, values.allSatisfy({ $0.key.count <= 64 && $0.value.count <= 256 }) else {
            throw APIError.badRequest("metadata takes at most 16 keys of up to 64 characters, each with a text of up to 256")
        }
        if let title = ask.title { values["title"] = title }
        if let title = values["title"], title.count > TusMetadata.maxTitle {
            throw APIError.badRequest("the title is \(title.count) characters; at most \(TusMetadata.maxTitle) are kept")
        }
        let metadata: TusMetadata
        do { metadata = try TusMetadata.encoding(values) } catch { throw APIError.badRequest(error.description) }
        if let type = metadata.contentType, !ReelAPI.acceptable(type) {
            throw APIError.badRequest("the metadata's file type must be video/* or application/octet-stream, not \(type)")
        }
        let (owner, tokenID) = try await uploadOwner(request, requested: ask.owner ?? "")
        let secret = DirectUploadURL.makeSecret()
        let id = VideoID.make()
        let expires = try await Uploads.createDirect(
            Uploads.DirectRequest(id: id, secretSHA256: DirectUploadURL.digest(secret), owner: owner, tokenID: tokenID, maxBytes: maxBytes,
                                  metadata: metadata.raw, expiresIn: Double(expiresIn)),
            pool: catalog.pool)
        let grant = DirectUploadGrant(id: id, url: publicBase(of: request) + DirectUploadURL.path + "/" + secret, expiresAt: expires,
                                      maxBytes: maxBytes)
        var response = try JSONBody(grant).response()
        response.status = .created
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The direct upload a URL's secret names: 404 when none does, 410 when it expired.
    func directUpload(_ context: BasicRequestContext) async throws -> (Uploads.Direct, url: String) {
        let secret = context.parameters.get("secret") ?? ""
        guard secret.hasPrefix(DirectUploadURL.secretPrefix), secret.utf8.count < 100,
              let grant = try await Uploads.direct(secretSHA256: DirectUploadURL.digest(secret), pool: catalog.pool) else {
            throw APIError.notFound("this is not a direct upload URL (or it expired more than a week ago): ask the app's backend for one")
        }
        // A URL whose upload completed still answers HEAD after it expires: the phone learns it is done.
        if grant.expired {
            let completed = grant.used ? try await Uploads.resumable(grant.id, pool: catalog.pool)?.video != nil : false
            if !completed {
                throw APIError(.gone, "expired", "this direct upload URL expired at \(Self.httpDate(grant.expires)): ask the app's backend for a new one")
            }
        }
        return (grant, DirectUploadURL.path + "/" + secret)
    }

    /// The upload a direct URL created: 404 before the phone created it or after it was terminated.
    func directTusUpload(_ context: BasicRequestContext) async throws -> UploadRow {
        let (grant, _) = try await directUpload(context)
        guard let upload = try await Uploads.resumable(grant.id, pool: catalog.pool) else {
            throw APIError.notFound(grant.used ? "the upload made with this URL was terminated or removed: ask the app's backend for a new URL"
                                               : "nothing is uploaded here yet: create the upload with a tus POST to this URL")
        }
        if upload.expired {
            throw APIError(.gone, "expired", "this upload expired unfinished at \(Self.httpDate(upload.expires)); ask the app's backend for a new URL")
        }
        return upload
    }

    /// Where clients outside reach this API: `publicURL` when configured,
    /// else the scheme and host the request used.
    func publicBase(of request: Request) -> String {
        if let configured = configuration.publicURL, !configured.isEmpty {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let scheme = request.headers[.xForwardedProto] == "https" ? "https" : "http"
        return "\(scheme)://\(request.head.authority ?? "127.0.0.1")"
    }
}

extension HTTPField.Name {
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto") ?? .via
}
