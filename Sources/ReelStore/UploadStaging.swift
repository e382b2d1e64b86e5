public import Foundation
public import NIOCore

/// Where an unfinished upload's bytes wait when the API instances share no
/// folder: in the home region's own store, so any instance continues any
/// upload. An S3 store stages it as an S3 multipart upload; parts are cut
/// to ``partSize`` (S3's smallest part is 5 MiB) and the bytes past the last
/// whole part wait in a small "tail" object until more arrive. What is
/// committed (``StagedUpload``) is kept by the caller in the catalog, under
/// the upload's claim: parts or tails written by a request that then failed
/// are never listed, so a retry simply writes them again.
public protocol UploadStaging: Sendable {
    /// Bytes per part (every part but the last is exactly this long).
    var partSize: Int { get }
    /// Starts staging upload `id`.
    func begin(_ id: String) async throws(StoreError) -> StagedUpload
    /// The tail's bytes (empty when there is none).
    func tail(of staged: StagedUpload) async throws(StoreError) -> ByteBuffer
    /// Writes part `number` (1-based).
    func putPart(_ staged: StagedUpload, number: Int, bytes: ByteBuffer) async throws(StoreError) -> StagedPart
    /// Writes a new tail object and returns its key (the old one stays until ``removeTail(_:)``).
    func putTail(_ staged: StagedUpload, bytes: ByteBuffer) async throws(StoreError) -> String
    /// Removes a tail object that is no longer listed.
    func removeTail(_ key: String) async
    /// Joins the parts, `last` (the tail's bytes, possibly empty) after them, into
    /// one object and copies it into `file`.
    func finish(_ staged: StagedUpload, last: ByteBuffer, into file: URL) async throws(StoreError)
    /// Removes everything staged for the upload (parts, tail, the joined
    /// object): once its video is published, or when it is given up.
    func abort(_ staged: StagedUpload) async throws(StoreError)
    /// Whether anything of it is still in the store (the unfinished upload or its tail).
    func isStaged(_ staged: StagedUpload) async throws(StoreError) -> Bool
}

/// A staged upload as the catalog keeps it.
public struct StagedUpload: Codable, Sendable, Hashable {
    /// The store's own id of the upload (S3's UploadId).
    public var uploadID: String
    /// Where the joined object is written.
    public var key: String
    /// The whole parts, in order.
    public var parts: [StagedPart]
    /// The object holding the bytes past the last part, if any.
    public var tail: String?
    public var tailSize: Int64

    public init(uploadID: String, key: String, parts: [StagedPart] = [], tail: String? = nil, tailSize: Int64 = 0) {
        self.uploadID = uploadID
        self.key = key
        self.parts = parts
        self.tail = tail
        self.tailSize = tailSize
    }

    /// Bytes staged: the parts and the tail.
    public var size: Int64 { parts.reduce(0) { $0 + $1.size } + tailSize }

    /// The record as the catalog keeps it (`uploads.staging`, an `upload.unstage` job's argument).
    public var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self) }

    /// A record read back from the catalog; nil when it is not one.
    public init?(json: String) {
        guard let staged = try? JSONDecoder().decode(StagedUpload.self, from: Data(json.utf8)) else { return nil }
        self = staged
    }

    enum CodingKeys: String, CodingKey {
        case uploadID = "upload_id", key, parts, tail, tailSize = "tail_size"
    }
}

/// One whole part of a staged upload.
public struct StagedPart: Codable, Sendable, Hashable {
    public var number: Int
    public var etag: String
    public var size: Int64

    public init(number: Int, etag: String, size: Int64) {
        self.number = number
        self.etag = etag
        self.size = size
    }
}

extension ObjectStore {
    /// A store that can stage unfinished uploads says so by conforming; a
    /// file store cannot (its instances share the spool folder instead).
    public var staging: (any UploadStaging)? { self as? any UploadStaging }
}
