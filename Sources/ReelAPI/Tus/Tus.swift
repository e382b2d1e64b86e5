import Foundation
import HTTPTypes

/// tus 1.0.0, the open protocol for resumable uploads (https://tus.io/protocols/resumable-upload):
/// the version and extensions Reel speaks and the names of its headers. Any
/// tus client (tus-js-client, TUSKit, tus-android-client, tuspy, Uppy) uploads
/// to `/v1/uploads/tus` without knowing anything about Reel.
enum Tus {
    static let version = "1.0.0"
    /// What `Tus-Extension` advertises.
    static let extensions = ["creation", "creation-with-upload", "creation-defer-length", "expiration", "checksum", "termination"]
    /// The body type of every chunk (PATCH, and a creation request that carries bytes).
    static let chunkType = "application/offset+octet-stream"
    /// Where the uploads live; an upload's URL is this plus its id.
    static let path = "/v1/uploads/tus"
    /// The checksum extension's status for a chunk whose `Upload-Checksum` does not match.
    static let checksumMismatch = HTTPResponse.Status(code: 460, reasonPhrase: "Checksum Mismatch")
    /// 423 (RFC 4918 Locked): what tus servers answer while another request writes the upload.
    static let locked = HTTPResponse.Status(code: 423, reasonPhrase: "Locked")

    /// The headers of an OPTIONS answer: what this server supports.
    static func capabilities(maxSize: Int64) -> HTTPFields {
        [.tusResumable: version, .tusVersion: version, .tusExtension: extensions.joined(separator: ","),
         .tusMaxSize: "\(maxSize)", .tusChecksumAlgorithm: TusChecksum.Algorithm.allCases.map(\.rawValue).joined(separator: ",")]
    }

    /// True when a request's Content-Type is the chunk type (parameters ignored).
    static func isChunk(_ contentType: String?) -> Bool {
        contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == chunkType
    }
}

extension HTTPField.Name {
    static let tusResumable = HTTPField.Name("Tus-Resumable") ?? .via
    static let tusVersion = HTTPField.Name("Tus-Version") ?? .via
    static let tusExtension = HTTPField.Name("Tus-Extension") ?? .via
    static let tusMaxSize = HTTPField.Name("Tus-Max-Size") ?? .via
    static let tusChecksumAlgorithm = HTTPField.Name("Tus-Checksum-Algorithm") ?? .via
    static let uploadMetadata = HTTPField.Name("Upload-Metadata") ?? .via
    static let uploadDeferLength = HTTPField.Name("Upload-Defer-Length") ?? .via
    static let uploadChecksum = HTTPField.Name("Upload-Checksum") ?? .via
    /// The id the video will have, known from the moment its upload is created.
    static let reelVideoID = HTTPField.Name("Reel-Video-Id") ?? .via
}
