public import Foundation
public import NIOCore

/// What a store knows of one object.
public struct ObjectInfo: Sendable, Hashable, Codable {
    public let digest: ObjectDigest
    public let size: Int64

    public init(digest: ObjectDigest, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

/// The outcome of a put: the object's name and size, and whether this put
/// wrote it (false when the store already had those bytes).
public struct PutResult: Sendable, Hashable {
    public let digest: ObjectDigest
    public let size: Int64
    public let created: Bool

    package init(digest: ObjectDigest, size: Int64, created: Bool) {
        self.digest = digest
        self.size = size
        self.created = created
    }
}

/// Bytes of one object, or of a range of it.
public struct ObjectBytes: Sendable {
    /// Kept as a `ByteBuffer` because that is what an HTTP response sends:
    /// a segment read for a viewer is handed to the socket without a copy.
    public let bytes: ByteBuffer
    /// Which bytes of the object `bytes` holds (inclusive), and its whole size:
    /// what an HTTP `Content-Range` needs.
    public let range: ClosedRange<Int64>?
    public let totalSize: Int64

    public init(bytes: ByteBuffer, range: ClosedRange<Int64>?, totalSize: Int64) {
        self.bytes = bytes
        self.range = range
        self.totalSize = totalSize
    }

    /// The bytes as `Data` (a copy), for callers that hash or compare them.
    public var data: Data { Data(bytes.readableBytesView) }
}

/// A content-addressed object store: every object is named by the SHA-256 of
/// its bytes, written once (put-if-absent) and never changed, so copies can
/// be made and checked anywhere. Reel has one per region: `FileStore` (the
/// embedded default) and `S3Store` (any S3-compatible service). Both pass the
/// same conformance tests.
public protocol ObjectStore: Sendable {
    /// A short description for logs and errors, e.g. "file store at data/eu".
    var name: String { get }

    /// Stores `data` unless the store already has it.
    func put(_ data: Data) async throws(StoreError) -> PutResult

    /// Stores a file's bytes, streamed (never all in memory), unless the store
    /// already has them. When `digest` is given and the bytes do not match it,
    /// fails with `.digestMismatch` and stores nothing.
    func put(contentsOf file: URL, digest: ObjectDigest?) async throws(StoreError) -> PutResult

    /// The object's bytes, or those in `range` (inclusive offsets; an end past
    /// the object's end is clamped). `.notFound` when absent, `.invalidRange`
    /// when the range starts past the end.
    func get(_ digest: ObjectDigest, range: ClosedRange<Int64>?) async throws(StoreError) -> ObjectBytes

    /// Copies the object into a local file (atomically: the file appears whole
    /// or not at all), checking the bytes against the digest on the way.
    func download(_ digest: ObjectDigest, to file: URL) async throws(StoreError)

    /// Size of the object, or nil when the store does not have it.
    func head(_ digest: ObjectDigest) async throws(StoreError) -> ObjectInfo?

    /// Removes the object; removing an absent object is not an error.
    func delete(_ digest: ObjectDigest) async throws(StoreError)

    /// Up to `limit` objects in digest order, starting after `after`: one page
    /// of the listing garbage collection walks.
    func list(after: ObjectDigest?, limit: Int) async throws(StoreError) -> [ObjectInfo]

    /// Reads the stored bytes back and checks that they still hash to their
    /// name. Nil when the object is absent.
    func verify(_ digest: ObjectDigest) async throws(StoreError) -> Bool?

    /// Moves a copy whose bytes no longer hash to its name out of the way:
    /// readers no longer find it (they fall back to another region), a
    /// repair can store the good bytes under the name, and the bad bytes are
    /// kept aside as evidence (`quarantine/DIGEST.UNIXTIME`). Returns where
    /// they went; nil when the object is absent.
    func quarantine(_ digest: ObjectDigest) async throws(StoreError) -> String?
}

extension ObjectStore {
    public func put(contentsOf file: URL) async throws(StoreError) -> PutResult {
        try await put(contentsOf: file, digest: nil)
    }

    public func get(_ digest: ObjectDigest) async throws(StoreError) -> Data {
        try await get(digest, range: nil).data
    }
}
