public import Foundation
public import NIOCore
import Synchronization

/// An upload on its way in: bytes are appended to a file in a spool folder
/// as they arrive (never all in memory) and hashed on the way, so that when
/// the last byte is in, the object's name is known and the file can go to a
/// store. Writes run off the cooperative pool.
public final class UploadSpool: Sendable {
    private let sink: FileSink
    public let file: URL
    private let hash = Mutex(StreamingDigest())

    private init(sink: FileSink, file: URL) {
        self.sink = sink
        self.file = file
    }

    /// A new, empty spool file in `folder` (created if needed).
    public static func create(in folder: URL) async throws(StoreError) -> UploadSpool {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, "cannot create the upload spool folder \(folder.path): \(error.localizedDescription)")
        }
        let file = folder.appendingPathComponent("upload-\(UUID().uuidString)")
        return UploadSpool(sink: try await FileSink.create(file), file: file)
    }

    /// Bytes received so far.
    public var size: Int64 { hash.withLock { $0.count } }

    public func append(_ chunk: ByteBuffer) async throws(StoreError) {
        hash.withLock { digest in chunk.withUnsafeReadableBytes { digest.update($0) } }
        try await sink.write(chunk)
    }

    /// Flushes the file into place; returns its digest and size.
    public func finish() async throws(StoreError) -> ObjectInfo {
        try await sink.commit()
        return hash.withLock { ObjectInfo(digest: $0.finalize(), size: $0.count) }
    }

    /// Removes whatever was written (a broken or refused upload).
    public func discard() async {
        await sink.discard()
        try? FileManager.default.removeItem(at: file)
    }
}
